package mandate

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// document lays out an attestation on A4 pages, in millimetres, with the
// embedded fonts of attestation_font.go: every string goes through
// glyphs.printable on its way in.
type document struct {
	pdf    *fpdf.Fpdf
	glyphs *glyphs
	width  float64 // of the text area
}

const (
	marginSide   = 18.0
	marginTop    = 16.0
	marginBottom = 18.0
	bodySize     = 9.5
	lineHeight   = 4.6
	labelWidth   = 48.0
)

// Colours: the DSFR's "bleu France" for titles, near-black text, grey notes.
var (
	colourTitle = [3]int{0, 0, 145}
	colourText  = [3]int{22, 22, 22}
	colourNote  = [3]int{88, 88, 88}
	colourRule  = [3]int{200, 200, 200}
	colourAlert = [3]int{180, 60, 0}
)

// newDocument starts an attestation. created is written as the PDF's
// creation date (rather than the time of rendering) so that the same data
// always gives the same bytes; footer is printed at the bottom of every page.
func newDocument(title, footer string, created time.Time) (*document, error) {
	g, err := newGlyphs()
	if err != nil {
		return nil, fmt.Errorf("mandate: reading the attestation font: %w", err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginSide, marginTop, marginSide)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(0)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Procura", true)
	pdf.SetProducer("Procura", true)
	pdf.SetLang("fr-FR")
	pdf.AliasNbPages("{nb}")
	d := &document{pdf: pdf, glyphs: g}
	w, _ := pdf.GetPageSize()
	d.width = w - 2*marginSide
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		d.style("", 7.5, colourNote)
		pdf.SetDrawColor(colourRule[0], colourRule[1], colourRule[2])
		pdf.Line(marginSide, pdf.GetY()-1.5, marginSide+d.width, pdf.GetY()-1.5)
		pdf.CellFormat(d.width*0.75, 4, d.glyphs.printable(footer), "", 0, "L", false, 0, "")
		pdf.CellFormat(d.width*0.25, 4, fmt.Sprintf("Page %d / {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	return d, nil
}

func (d *document) style(fontStyle string, size float64, colour [3]int) {
	d.font(fontSans, fontStyle, size)
	d.pdf.SetTextColor(colour[0], colour[1], colour[2])
}

// font selects a face, adding it to the document on first use (fpdf then
// ignores the later additions): a face that a document does not use is not
// embedded in it.
func (d *document) font(family, style string, size float64) {
	d.pdf.AddUTF8FontFromBytes(family, style, fontFile(family, style))
	d.pdf.SetFont(family, style, size)
}

// text writes s as a paragraph of the current style, from the current x to
// the right margin, wrapping at spaces.
func (d *document) text(h float64, s string) {
	d.pdf.MultiCell(0, h, d.glyphs.printable(frenchSpacing.Replace(s)), "", "L", false)
}

func (d *document) title(s, subtitle string) {
	d.style("B", 18, colourTitle)
	d.text(9, s)
	d.style("", 10, colourNote)
	d.text(5, subtitle)
	d.pdf.Ln(3)
}

// heading starts a section, on a new page if the section's first need mm
// would not fit on this one.
func (d *document) heading(s string, need float64) {
	d.keep(need + 10)
	d.pdf.Ln(2.5)
	d.style("B", 11, colourTitle)
	d.text(6, s)
	y := d.pdf.GetY()
	d.pdf.SetDrawColor(colourRule[0], colourRule[1], colourRule[2])
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(marginSide, y, marginSide+d.width, y)
	d.pdf.Ln(1.5)
}

// field writes "label   value", the value wrapping in its own column.
func (d *document) field(label, value string) {
	d.keep(lineHeight)
	d.style("B", bodySize, colourNote)
	d.pdf.CellFormat(labelWidth, lineHeight, d.glyphs.printable(label), "", 0, "L", false, 0, "")
	d.style("", bodySize, colourText)
	d.text(lineHeight, value)
}

func (d *document) paragraph(s string) {
	d.style("", bodySize, colourText)
	d.text(lineHeight, s)
	d.pdf.Ln(1)
}

// bullet writes a list item from x, w mm wide, with its text wrapping under
// itself; note, when set, follows in italic under the item.
func (d *document) bullet(x, w, size, h float64, s, note string) {
	d.keep(h)
	d.style("", size, colourText)
	d.pdf.SetX(x)
	d.pdf.CellFormat(4, h, d.glyphs.printable("•"), "", 0, "L", false, 0, "")
	d.pdf.MultiCell(w-4, h, d.glyphs.printable(frenchSpacing.Replace(s)), "", "L", false)
	if note != "" {
		d.style("I", size-0.5, colourAlert)
		d.pdf.SetX(x + 4)
		d.pdf.MultiCell(w-4, h, d.glyphs.printable(frenchSpacing.Replace(note)), "", "L", false)
	}
}

// bullets writes a list, in two columns when it is longer than four items
// (the ten procedures then take five lines, not ten). notes[i] is printed
// under items[i] when set.
func (d *document) bullets(items, notes []string) {
	const indent, gap = 2.0, 6.0
	if len(items) <= 4 {
		for i, s := range items {
			d.bullet(marginSide+indent, d.width-indent, bodySize, lineHeight, s, notes[i])
		}
		return
	}
	half := (len(items) + 1) / 2
	d.keep(float64(half+2) * lineHeight)
	top, bottom := d.pdf.GetY(), d.pdf.GetY()
	w := (d.width - indent - gap) / 2
	for c, col := range [][2]int{{0, half}, {half, len(items)}} {
		d.pdf.SetY(top)
		x := marginSide + indent + float64(c)*(w+gap)
		for i := col[0]; i < col[1]; i++ {
			d.bullet(x, w, bodySize, lineHeight, items[i], notes[i])
		}
		bottom = max(bottom, d.pdf.GetY())
	}
	d.pdf.SetY(bottom)
}

// note writes small grey text: technical details a person may skip.
func (d *document) note(s string) {
	d.style("", 7.5, colourNote)
	d.text(3.6, s)
}

// mono writes s in small monospace type: hashes and URLs, which must be
// read exactly.
func (d *document) mono(s string) {
	d.style("", 7.5, colourText)
	d.font(fontMono, "", 7.5)
	d.text(3.6, s)
}

// keep starts a new page unless h mm still fit on this one.
func (d *document) keep(h float64) {
	_, pageHeight := d.pdf.GetPageSize()
	if d.pdf.GetY()+h > pageHeight-marginBottom {
		d.pdf.AddPage()
	}
}

// signatureBoxes draws one empty box per label, side by side, for the
// signatures on paper.
func (d *document) signatureBoxes(labels ...string) {
	const boxHeight = 24.0
	d.keep(boxHeight + 8)
	gap := 8.0
	w := (d.width - gap*float64(len(labels)-1)) / float64(len(labels))
	y := d.pdf.GetY() + 2
	for i, label := range labels {
		x := marginSide + float64(i)*(w+gap)
		d.pdf.SetXY(x, y)
		d.style("B", bodySize, colourText)
		d.pdf.CellFormat(w, lineHeight, d.glyphs.printable(label), "", 0, "L", false, 0, "")
		d.pdf.SetDrawColor(120, 120, 120)
		d.pdf.SetLineWidth(0.3)
		d.pdf.Rect(x, y+lineHeight+1, w, boxHeight, "D")
	}
	d.pdf.SetXY(marginSide, y+lineHeight+1+boxHeight+3)
}

// verification draws the QR code of url, the URL printed in full under it,
// and beside it how to use it, then details in small type.
func (d *document) verification(url, explanation string, details []string) error {
	const size = 30.0
	d.heading("Vérification", size+8)
	top := d.pdf.GetY() + 1
	if err := drawQR(d.pdf, url, marginSide, top, size); err != nil {
		return err
	}
	right := marginSide + size + 6
	d.pdf.SetXY(right, top+1)
	d.style("", bodySize, colourText)
	d.pdf.MultiCell(0, lineHeight, d.glyphs.printable(frenchSpacing.Replace(explanation)), "", "L", false)
	for _, s := range details {
		d.pdf.Ln(1)
		d.pdf.SetX(right)
		d.style("", 7.5, colourNote)
		d.pdf.MultiCell(0, 3.6, d.glyphs.printable(frenchSpacing.Replace(s)), "", "L", false)
	}
	d.pdf.SetXY(marginSide, max(top+size+1.5, d.pdf.GetY()+1))
	d.mono(url)
	return nil
}

// frenchSpacing puts the non-breaking spaces of French typography before
// : ; ! ? and inside « », so that a line never starts with one of them.
var frenchSpacing = strings.NewReplacer(
	" :", "\u00a0:", " ;", "\u00a0;", " !", "\u00a0!", " ?", "\u00a0?",
	"« ", "«\u00a0", " »", "\u00a0»",
)

// bytes finishes the document.
func (d *document) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("mandate: writing the attestation PDF: %w", err)
	}
	return buf.Bytes(), nil
}
