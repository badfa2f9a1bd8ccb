package scim

import (
	"encoding/binary"
	"encoding/json"
	"slices"
)

// valueKey appends to buf an encoding of v such that two values get the
// same encoding exactly when equalValues says they are equal, so a hash
// map can find equal values in O(1) instead of comparing against each.
// It handles the types normalised and stored values are made of: string,
// bool, json.Number, nil, []any and map[string]any. ok is false for
// anything else, and for a map with a nil member (equalValues treats a
// nil member and a missing one alike but counts both, which no encoding
// can mirror); such values are compared one by one (valueIndex.odd).
// Neither occurs in practice: Normalize and the PATCH engine never keep a
// nil member, and stored attributes are decoded with json.Number.
//
// The encoding is a type tag, then a length, then the content, so it is
// prefix-free and no two different values share it: "s" and json.Number
// "1" differ by tag, {"a":"b"} and ["a","b"] by tag, and a string holding
// what looks like an encoded value is still one length-prefixed string.
// Strings are compared byte for byte, as equalValues does: what counts as
// equal doesn't depend on an attribute's caseExact.
func valueKey(buf []byte, v any) ([]byte, bool) {
	switch t := v.(type) {
	case nil:
		return append(buf, 'z'), true
	case string:
		buf = append(buf, 's')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		return append(buf, t...), true
	case json.Number:
		buf = append(buf, 'n')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		return append(buf, t...), true
	case bool:
		if t {
			return append(buf, 't'), true
		}
		return append(buf, 'f'), true
	case []any:
		buf = append(buf, 'l')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		for _, e := range t {
			var ok bool
			if buf, ok = valueKey(buf, e); !ok {
				return buf, false
			}
		}
		return buf, true
	case map[string]any:
		buf = append(buf, 'm')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		var small [8]string
		keys := small[:0]
		for k, e := range t {
			if e == nil {
				return buf, false
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			buf = binary.AppendUvarint(buf, uint64(len(k)))
			buf = append(buf, k...)
			var ok bool
			if buf, ok = valueKey(buf, t[k]); !ok {
				return buf, false
			}
		}
		return buf, true
	}
	return buf, false
}

// linearBelow is the list length under which comparing a value with each
// element costs less than hashing it: at most linearBelow² comparisons.
const linearBelow = 16

// valueIndex finds the first element of a list equal (equalValues) to a
// value in O(1) expected time per look-up, so deduplicating or merging n
// values is O(n) rather than O(n²). Positions are whatever the caller
// says they are (indexes into its list).
type valueIndex struct {
	byKey map[string]int
	odd   []oddValue // values valueKey can't encode, compared one by one
	buf   []byte
}

type oddValue struct {
	v any
	i int
}

func newValueIndex(n int) *valueIndex {
	return &valueIndex{byKey: make(map[string]int, n)}
}

// addFirst records v at position i unless an equal value is recorded
// already; it returns the position of the equal value that was first
// recorded (i itself when v is new) and whether v is new.
func (x *valueIndex) addFirst(v any, i int) (int, bool) {
	key, ok := valueKey(x.buf[:0], v)
	x.buf = key[:0]
	if !ok {
		// A value with no key can only equal another value with no key:
		// equalValues compares every part, and the part that has no
		// encoding (a float64, a nil member) differs in type from every
		// part of a value that has one.
		for _, o := range x.odd {
			if equalValues(o.v, v) {
				return o.i, false
			}
		}
		x.odd = append(x.odd, oddValue{v, i})
		return i, true
	}
	if j, dup := x.byKey[string(key)]; dup {
		return j, false
	}
	x.byKey[string(key)] = i
	return i, true
}

// find returns the position of a recorded value equal to v, or -1. (For
// odd values it asks equalValues(v, recorded), as matchesAny does.)
func (x *valueIndex) find(v any) int {
	key, ok := valueKey(x.buf[:0], v)
	x.buf = key[:0]
	if !ok {
		for _, o := range x.odd {
			if equalValues(v, o.v) {
				return o.i
			}
		}
		return -1
	}
	if j, found := x.byKey[string(key)]; found {
		return j
	}
	return -1
}

// indexList records every element of list at its position, the first of
// equal elements winning.
func indexList(list []any) *valueIndex {
	x := newValueIndex(len(list))
	for i, e := range list {
		x.addFirst(e, i)
	}
	return x
}
