package templates

import (
	"fmt"
	"strconv"
)

// BarChart is an SVG bar chart drawn on the server (no script): a title
// and a description for assistive technologies, bars grouped by label,
// one colour per series, each bar's value in its own title. The page shows
// the same numbers in a table next to it.
type BarChart struct {
	ID, Title, Desc string
	Width, Height   int
	// AxisX is the x of the vertical axis, BaseY the y of the horizontal one.
	AxisX, BaseY int
	Max          int64
	Series       []ChartSeries
	Groups       []ChartGroup
}

// ChartSeries is one series of a chart, in its legend.
type ChartSeries struct {
	Name, Colour string
	LegendX      int
}

// ChartGroup is the bars of one label.
type ChartGroup struct {
	Label          string
	LabelX, LabelY int
	Bars           []ChartBar
}

// ChartBar is one bar; Title says its group, series and value in words.
type ChartBar struct {
	X, Y, W, H int
	Value      int64
	Colour     string
	Title      string
}

// maxLabelledGroups is the most groups whose labels fit under the axis;
// beyond, the bars' titles and the table name them.
const maxLabelledGroups = 12

// chartColours are DSFR illustrative colours, distinct in grey scale.
var chartColours = []string{"#000091", "#e1000f", "#18753c", "#b34000", "#6a6af4"}

// NewBarChart lays out values[g][s] (group g, series s); labels name the
// groups under the axis, titles name them in the bars' titles.
func NewBarChart(id, title, desc string, labels, titles, series []string, values [][]int64) BarChart {
	c := BarChart{ID: id, Title: title, Desc: desc, Width: 760, Height: 280, AxisX: 48, BaseY: 230}
	for _, row := range values {
		for _, v := range row {
			c.Max = max(c.Max, v)
		}
	}
	scale := max(c.Max, 1)
	for i, s := range series {
		c.Series = append(c.Series, ChartSeries{Name: s, Colour: chartColours[i%len(chartColours)], LegendX: c.AxisX + i*180})
	}
	if len(values) == 0 {
		return c
	}
	plotW := c.Width - c.AxisX - 8
	groupW := plotW / len(values)
	barW := max(groupW*4/5/max(len(series), 1), 1)
	plotH := c.BaseY - 30
	for g, row := range values {
		x0 := c.AxisX + g*groupW + groupW/10
		grp := ChartGroup{LabelX: c.AxisX + g*groupW + groupW/2, LabelY: c.BaseY + 16}
		if len(values) <= maxLabelledGroups {
			grp.Label = labels[g]
		}
		for s, v := range row {
			h := int(v * int64(plotH) / scale)
			grp.Bars = append(grp.Bars, ChartBar{X: x0 + s*barW, Y: c.BaseY - h, W: barW, H: h, Value: v,
				Colour: chartColours[s%len(chartColours)], Title: barTitle(titles[g], series, s, v)})
		}
		c.Groups = append(c.Groups, grp)
	}
	return c
}

func barTitle(group string, series []string, s int, v int64) string {
	if len(series) > 1 {
		return fmt.Sprintf("%s, %s : %s", group, series[s], strconv.FormatInt(v, 10))
	}
	return fmt.Sprintf("%s : %s", group, strconv.FormatInt(v, 10))
}

// StatTable is a table of figures; Chart names the chart whose bars are
// the cells with Charted set (data-chart in the page).
type StatTable struct {
	Caption string
	Headers []string
	Rows    []StatRow
}

// StatRow is a line of a StatTable.
type StatRow struct {
	Label string
	Cells []StatCell
}

// StatCell is a figure; Chart is the id of the chart that draws it, if any.
type StatCell struct {
	Value int64
	Chart string
}

// ManagerStatisticsPage shows the organisation's figures.
type ManagerStatisticsPage struct {
	Layout
	Nav ManagerNav
	// Charts and their tables, in order.
	Sections []StatSection
}

// StatSection is a heading, charts and the table of their numbers.
type StatSection struct {
	Heading string
	Charts  []BarChart
	Table   StatTable
}

func (*ManagerStatisticsPage) Template() string { return "manager_statistics.html" }
