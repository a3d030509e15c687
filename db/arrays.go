package db

import (
	"database/sql/driver"
	"encoding/hex"
	"strconv"
	"strings"
)

// PostgreSQL array parameters. GORM expands a Go slice into a list of
// parameters, so that a statement's text changes with the slice's length,
// and each connection's prepared-statement cache keeps one statement per
// length seen. These types are one parameter each, in the array's text
// form, for statements of fixed text (`= ANY(?::bigint[])`,
// `unnest(?::bigint[], ?::bytea[])`).

// Int64Array is a bigint[] parameter.
type Int64Array []int64

// Value implements driver.Valuer.
func (a Int64Array) Value() (driver.Value, error) {
	b := make([]byte, 0, 2+len(a)*8)
	b = append(b, '{')
	for i, n := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, '}')), nil
}

// ByteaArray is a bytea[] parameter.
type ByteaArray [][]byte

// Value implements driver.Valuer: each element in bytea's hex form, quoted
// (its backslash escaped, as the array's text form requires).
func (a ByteaArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"\\x`)
		b.WriteString(hex.EncodeToString(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
