package journey

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// document is what a browser would submit of a page: its forms, and the
// headings that title the buttons.
type document struct {
	Forms []form
	// Headings holds the own text of each h1–h6, in page order (the text
	// of elements inside a heading, such as a birth date in a span, is
	// left out).
	Headings []string
}

// form is one <form>: where it posts, its hidden inputs, its named
// submit buttons.
type form struct {
	Action, Method string
	Hidden         url.Values
	Buttons        []button
}

// button is a named submit button: what it submits, its text, and the
// index in Headings of the last heading before it (-1 when none).
type button struct {
	Name, Value, Label string
	Heading            int
}

// hidden returns the hidden input name of the page's first form that has
// one.
func (d *document) hidden(name string) string {
	for _, f := range d.Forms {
		if v := f.Hidden.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// formWith returns the first form with a button or hidden input named
// name, or nil.
func (d *document) formWith(name string) *form {
	for i, f := range d.Forms {
		if f.Hidden.Has(name) {
			return &d.Forms[i]
		}
		for _, b := range f.Buttons {
			if b.Name == name {
				return &d.Forms[i]
			}
		}
	}
	return nil
}

// parse reads a page with the HTML tokenizer: attribute order, quoting
// and entities do not matter. Only the attributes and text of forms,
// inputs, buttons and headings are read (the load generator parses a
// page per login).
func parse(body string) *document {
	d := &document{}
	z := html.NewTokenizer(strings.NewReader(body))
	var (
		f       *form   // the form being read
		b       *button // the button being read
		heading *strings.Builder
		nested  int // elements open inside the heading
	)
	for {
		switch z.Next() {
		case html.ErrorToken:
			return d
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if heading != nil {
				if !void[string(name)] {
					nested++
				}
				continue
			}
			switch tag := string(name); {
			case tag == "form":
				a := attributes(z, hasAttr)
				d.Forms = append(d.Forms, form{Action: a.action, Method: strings.ToLower(a.method), Hidden: url.Values{}})
				f, b = &d.Forms[len(d.Forms)-1], nil
			case tag == "input" && f != nil:
				if a := attributes(z, hasAttr); a.typ == "hidden" && a.name != "" {
					f.Hidden.Add(a.name, a.value)
				}
			case tag == "button" && f != nil:
				if a := attributes(z, hasAttr); a.name != "" {
					f.Buttons = append(f.Buttons, button{Name: a.name, Value: a.value, Heading: len(d.Headings) - 1})
					b = &f.Buttons[len(f.Buttons)-1]
				}
			case len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6' && b == nil:
				heading, nested = &strings.Builder{}, 0
			}
		case html.TextToken:
			switch {
			case heading != nil && nested == 0:
				heading.Write(z.Text())
			case b != nil:
				b.Label += string(z.Text())
			}
		case html.EndTagToken:
			switch {
			case heading != nil && nested > 0:
				nested--
			case heading != nil:
				d.Headings = append(d.Headings, collapse(heading.String()))
				heading = nil
			default:
				switch name, _ := z.TagName(); string(name) {
				case "button":
					if b != nil {
						b.Label = collapse(b.Label)
						b = nil
					}
				case "form":
					f, b = nil, nil
				}
			}
		}
	}
}

// attrs are the attributes the driver reads.
type attrs struct {
	action, method, typ, name, value string
}

// attributes reads the current tag's attributes.
func attributes(z *html.Tokenizer, more bool) attrs {
	var a attrs
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "action":
			a.action = string(v)
		case "method":
			a.method = string(v)
		case "type":
			a.typ = string(v)
		case "name":
			a.name = string(v)
		case "value":
			a.value = string(v)
		}
	}
	return a
}

// void elements have no end tag.
var void = map[string]bool{"area": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "wbr": true}

// collapse trims s and makes every run of white space one space.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// pageText is the text of a page's main content (the whole page when it
// has no <main>), tags removed, white space collapsed, cut at max bytes:
// what a person reads first, for error messages.
func pageText(body string, max int) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	z := html.NewTokenizer(strings.NewReader(body))
	var out strings.Builder
	skip := 0 // inside script or style
	for out.Len() < max {
		switch z.Next() {
		case html.ErrorToken:
			return cut(collapse(out.String()), max)
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				out.Write(z.Text())
				out.WriteByte(' ')
			}
		}
	}
	return cut(collapse(out.String()), max)
}

// cut shortens s to at most max bytes, on a rune boundary.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}
