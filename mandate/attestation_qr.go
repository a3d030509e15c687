package mandate

import (
	"fmt"
	"image/color"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/qr"
)

// drawQR draws the QR code of content as vector squares, size mm wide, with
// its top-left corner at (x, y): sharp at any printing resolution, and no
// image to embed. Error correction level M (15 %) survives a crumpled or
// stained sheet. The 4-module quiet zone the standard requires is left to
// the caller's layout (the page is white around it).
func drawQR(pdf *fpdf.Fpdf, content string, x, y, size float64) error {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return fmt.Errorf("mandate: encoding the verification URL as a QR code: %w", err)
	}
	bounds := code.Bounds()
	n := bounds.Dx()
	module := size / float64(n)
	k := pdf.GetConversionRatio()
	_, pageHeight := pdf.GetPageSize()

	// One path of rectangles, one per horizontal run of dark modules, filled
	// once: no hairline seams between modules in on-screen renderers.
	var path strings.Builder
	path.WriteString("q 0 g\n")
	for row := 0; row < n; row++ {
		for col := 0; col < n; {
			if !dark(code.At(bounds.Min.X+col, bounds.Min.Y+row)) {
				col++
				continue
			}
			start := col
			for col < n && dark(code.At(bounds.Min.X+col, bounds.Min.Y+row)) {
				col++
			}
			// PDF user space: points, origin at the bottom left.
			fmt.Fprintf(&path, "%.3f %.3f %.3f %.3f re\n",
				(x+float64(start)*module)*k,
				(pageHeight-(y+float64(row+1)*module))*k,
				float64(col-start)*module*k,
				module*k)
		}
	}
	path.WriteString("f Q")
	pdf.RawWriteStr(path.String())
	return nil
}

func dark(c color.Color) bool {
	r, _, _, _ := c.RGBA()
	return r < 0x8000
}
