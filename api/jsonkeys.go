package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// checkKeys walks the JSON value in body token by token, with the type it is decoded into,
// and refuses the first object key that repeats a key of its object or that matches a
// field of the target struct only when case is ignored ("PRICE" for "price"): encoding/json
// would accept both, the last value winning. It recurses into nested objects and arrays;
// an object decoded into a map or an opaque type (any, json.Unmarshaler) is checked for
// repeated keys only. A body that is not well-formed JSON passes: the decoder then reports
// where it breaks.
func checkKeys(body []byte, target reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var ke *keyError
	if err := walkValue(dec, target, ""); errors.As(err, &ke) {
		return ke.statusError()
	}
	return nil
}

// keyError is a refused key: its path from the body's top ("due_date_rule.day") and why.
type keyError struct {
	path, key, reason string
}

func (e *keyError) Error() string { return e.path + ": " + e.reason }

// statusError names the key as the field, or the body when the key has no printable name.
func (e *keyError) statusError() error {
	if printable(e.key) {
		return &statusError{status: 400, code: "invalid", field: e.path, msg: e.path + ": " + e.reason}
	}
	return &statusError{status: 400, code: "invalid", field: "body", msg: "body: key " + strconv.Quote(e.key) + ": " + e.reason}
}

// printable reports whether a key can stand as a field name in an error as it is.
func printable(key string) bool {
	if key == "" || strconv.Quote(key) != `"`+key+`"` {
		return false
	}
	return !strings.ContainsFunc(key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
}

// walkValue reads one JSON value of type t (nil: unknown) and checks the keys of the objects in it.
func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t = indirect(t); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem, path); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return nil
}

// walkObject reads the rest of an object whose '{' was read, decoded into t.
func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	t = indirect(t)
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = structKeys(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		if seen[key] {
			return &keyError{path: at, key: key, reason: "repeated key: send each field once"}
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, exact := fields[key]
			if !exact {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return &keyError{path: at, key: key, reason: "unknown field; field names are case-sensitive: did you mean " + strconv.Quote(name) + "?"}
					}
				}
			}
			next = ft // nil for an unknown field, which the decoder refuses
		}
		if err := walkValue(dec, next, at); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// indirect returns t without its pointers, or nil when t decodes itself or holds anything
// (its keys cannot be checked against fields).
func indirect(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
			t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) || t.Kind() == reflect.Interface {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			return t
		}
		t = t.Elem()
	}
	return nil
}

// structKeys maps the JSON names of a struct's fields, as encoding/json decodes them
// (embedded structs' fields promoted, the shallower one winning), to their types.
func structKeys(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type, depth int, depthOf map[string]int)
	walk = func(t reflect.Type, depth int, depthOf map[string]int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, depth+1, depthOf)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if d, ok := depthOf[name]; ok && d <= depth {
				continue
			}
			depthOf[name] = depth
			out[name] = f.Type
		}
	}
	walk(t, 0, map[string]int{})
	return out
}
