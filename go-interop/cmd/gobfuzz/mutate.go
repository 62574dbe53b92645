package main

// Stream mutations. Raw ones (bit flips, inserts, ...) ignore the gob
// structure; framing-aware ones parse the length-prefixed messages and keep
// the framing valid (re-encoding the length) so the damage reaches the
// decoder's inner layers; a few understand type definitions (wireType).

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
)

// ---- gob integer codec ----

func readUint(b []byte, off int) (v uint64, n int, ok bool) {
	if off < 0 || off >= len(b) {
		return 0, 0, false
	}
	c := b[off]
	if c < 0x80 {
		return uint64(c), 1, true
	}
	cnt := -int(int8(c))
	if cnt > 8 || off+1+cnt > len(b) {
		return 0, 0, false
	}
	for i := 0; i < cnt; i++ {
		v = v<<8 | uint64(b[off+1+i])
	}
	return v, 1 + cnt, true
}

func appendUint(dst []byte, v uint64) []byte {
	if v < 0x80 {
		return append(dst, byte(v))
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	i := 0
	for buf[i] == 0 {
		i++
	}
	dst = append(dst, byte(-(8 - i)))
	return append(dst, buf[i:]...)
}

// appendWideUint encodes v in w bytes (non-minimal when it would fit in
// fewer); Go accepts such encodings.
func appendWideUint(dst []byte, v uint64, w int) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	dst = append(dst, byte(-w))
	return append(dst, buf[8-w:]...)
}

func intToUint(i int64) uint64 {
	if i < 0 {
		return uint64(^i<<1) | 1
	}
	return uint64(i << 1)
}

func uintToInt(u uint64) int64 {
	i := int64(u >> 1)
	if u&1 != 0 {
		i = ^i
	}
	return i
}

func appendInt(dst []byte, i int64) []byte { return appendUint(dst, intToUint(i)) }

// ---- message framing ----

type frame struct{ start, body, end int } // [start,body) length prefix, [body,end) message

func parseFrames(b []byte) ([]frame, bool) {
	var fr []frame
	for off := 0; off < len(b); {
		l, n, ok := readUint(b, off)
		if !ok || l > uint64(len(b)-off-n) {
			return fr, false
		}
		fr = append(fr, frame{off, off + n, off + n + int(l)})
		off += n + int(l)
	}
	return fr, true
}

// maxDeclaredLen walks the framing as Go's decoder reads it and returns the
// largest message length it would see.
func maxDeclaredLen(b []byte) uint64 {
	var m uint64
	for off := 0; off < len(b); {
		l, n, ok := readUint(b, off)
		if !ok {
			break
		}
		m = max(m, l)
		if l > uint64(len(b)-off-n) {
			break
		}
		off += n + int(l)
	}
	return m
}

func frameID(b []byte, f frame) (int64, int, bool) {
	u, n, ok := readUint(b[:f.end], f.body)
	return uintToInt(u), n, ok
}

// withBody returns b with message f's body replaced and its length fixed.
func withBody(b []byte, f frame, body []byte) []byte {
	out := make([]byte, 0, len(b)+len(body)+9)
	out = append(out, b[:f.start]...)
	out = appendUint(out, uint64(len(body)))
	out = append(out, body...)
	return append(out, b[f.end:]...)
}

// ---- wireType parsing (type definition messages) ----

type sKind int

const (
	kString sKind = iota
	kInt
	kID
	kStruct
	kStructSlice
)

type sField struct {
	kind sKind
	sub  []sField
}

var (
	sCommon = []sField{{kind: kString}, {kind: kID}}
	sFieldT = []sField{{kind: kString}, {kind: kID}}
	sArray  = []sField{{kStruct, sCommon}, {kind: kID}, {kind: kInt}}
	sSlice  = []sField{{kStruct, sCommon}, {kind: kID}}
	sStruct = []sField{{kStruct, sCommon}, {kStructSlice, sFieldT}}
	sMap    = []sField{{kStruct, sCommon}, {kind: kID}, {kind: kID}}
	sGobEnc = []sField{{kStruct, sCommon}}
	sWire   = []sField{{kStruct, sArray}, {kStruct, sSlice}, {kStruct, sStruct}, {kStruct, sMap},
		{kStruct, sGobEnc}, {kStruct, sGobEnc}, {kStruct, sGobEnc}}
)

type idRef struct {
	off, n int
	val    int64
}

type wireInfo struct {
	ids        []idRef
	fieldsOff  int // offset of structType.Field's count, -1 if absent
	fieldsN    int
	fieldsCnt  uint64
	fieldsEnd  int
	wireEnd    int // offset of wireType's terminating 0
	lastField  int // last wireType field number present
	fieldNames []string
}

type wparser struct {
	b    []byte
	info *wireInfo
}

func parseWire(body []byte, off int) (*wireInfo, bool) {
	p := &wparser{b: body, info: &wireInfo{fieldsOff: -1, lastField: -1}}
	end, ok := p.parseStruct(off, sWire, true, false)
	return p.info, ok && end == len(body)
}

func (p *wparser) parseStruct(off int, schema []sField, isWire, isField bool) (int, bool) {
	field := -1
	for {
		d, n, ok := readUint(p.b, off)
		if !ok {
			return 0, false
		}
		if d == 0 {
			if isWire {
				p.info.wireEnd = off
			}
			return off + n, true
		}
		if d > uint64(len(schema)) || field+int(d) >= len(schema) {
			return 0, false
		}
		field += int(d)
		off += n
		if isWire {
			p.info.lastField = field
		}
		switch f := schema[field]; f.kind {
		case kString:
			l, n, ok := readUint(p.b, off)
			if !ok || l > uint64(len(p.b)-off-n) {
				return 0, false
			}
			if isField {
				p.info.fieldNames = append(p.info.fieldNames, string(p.b[off+n:off+n+int(l)]))
			}
			off += n + int(l)
		case kInt, kID:
			v, n, ok := readUint(p.b, off)
			if !ok {
				return 0, false
			}
			if f.kind == kID {
				p.info.ids = append(p.info.ids, idRef{off, n, uintToInt(v)})
			}
			off += n
		case kStruct:
			if off, ok = p.parseStruct(off, f.sub, false, false); !ok {
				return 0, false
			}
		case kStructSlice:
			cnt, n, ok := readUint(p.b, off)
			if !ok || cnt > uint64(len(p.b)) {
				return 0, false
			}
			p.info.fieldsOff, p.info.fieldsN, p.info.fieldsCnt = off, n, cnt
			off += n
			for i := uint64(0); i < cnt; i++ {
				if off, ok = p.parseStruct(off, f.sub, false, true); !ok {
					return 0, false
				}
			}
			p.info.fieldsEnd = off
		}
	}
}

// ---- mutator ----

type mutator struct {
	r   *rand.Rand
	b   []byte
	ops []string
}

var interestingBytes = []byte{0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xf8, 0xf9, 0xfe, 0xff, 0x40, 0x41}

var hugeValues = []uint64{0x7f, 0x80, 0xff, 0x100, 0xffff, 1 << 16, 1 << 20, 1 << 24, 1<<31 - 1, 1 << 31,
	1 << 32, 1 << 40, 1<<62 - 1, 1 << 62, 1<<63 - 1, 1 << 63, 1<<64 - 1}

type mutOp struct {
	weight int
	fn     func(m *mutator) bool
}

var mutOps = []mutOp{
	{14, (*mutator).bitflip},
	{6, (*mutator).byteset},
	{5, (*mutator).insert},
	{5, (*mutator).delete},
	{4, (*mutator).truncate},
	{4, (*mutator).truncmsg},
	{9, (*mutator).inflate},
	{4, (*mutator).widen},
	{3, (*mutator).framelen},
	{4, (*mutator).msgswap},
	{4, (*mutator).msgdrop},
	{4, (*mutator).msgdup},
	{5, (*mutator).msgid},
	{2, (*mutator).idswap},
	{6, (*mutator).defid},
	{3, (*mutator).extrafield},
	{3, (*mutator).wireextra},
	{4, (*mutator).dropend},
	{3, (*mutator).addtypedef},
}

var mutWeightSum = func() (s int) {
	for _, o := range mutOps {
		s += o.weight
	}
	return
}()

// mutateStream applies 1-3 ops to a copy of orig.
func mutateStream(r *rand.Rand, orig []byte) ([]byte, []string) {
	m := &mutator{r: r, b: slices.Clone(orig)}
	n := 1 + r.IntN(3)
	for applied, tries := 0, 0; applied < n && tries < 40; tries++ {
		x := r.IntN(mutWeightSum)
		for _, o := range mutOps {
			if x -= o.weight; x < 0 {
				if o.fn(m) {
					applied++
				}
				break
			}
		}
	}
	return m.b, m.ops
}

func (m *mutator) op(format string, args ...any) bool {
	m.ops = append(m.ops, fmt.Sprintf(format, args...))
	return true
}

func (m *mutator) frames() []frame {
	fr, _ := parseFrames(m.b)
	return fr
}

func (m *mutator) bitflip() bool {
	if len(m.b) == 0 {
		return false
	}
	off, bit := m.r.IntN(len(m.b)), m.r.IntN(8)
	m.b[off] ^= 1 << bit
	return m.op("bitflip@%d.%d", off, bit)
}

func (m *mutator) byteset() bool {
	if len(m.b) == 0 {
		return false
	}
	off := m.r.IntN(len(m.b))
	v := interestingBytes[m.r.IntN(len(interestingBytes))]
	m.b[off] = v
	return m.op("byte@%d=%02x", off, v)
}

func (m *mutator) insert() bool {
	off, k := m.r.IntN(len(m.b)+1), 1+m.r.IntN(4)
	ins := make([]byte, k)
	for i := range ins {
		if m.r.IntN(2) == 0 {
			ins[i] = interestingBytes[m.r.IntN(len(interestingBytes))]
		} else {
			ins[i] = byte(m.r.IntN(256))
		}
	}
	m.b = slices.Insert(m.b, off, ins...)
	return m.op("insert@%d+%x", off, ins)
}

func (m *mutator) delete() bool {
	if len(m.b) == 0 {
		return false
	}
	off := m.r.IntN(len(m.b))
	k := 1 + m.r.IntN(min(8, len(m.b)-off))
	m.b = slices.Delete(m.b, off, off+k)
	return m.op("delete@%d-%d", off, k)
}

func (m *mutator) truncate() bool {
	if len(m.b) == 0 {
		return false
	}
	off := m.r.IntN(len(m.b))
	m.b = m.b[:off]
	return m.op("truncate@%d", off)
}

func (m *mutator) truncmsg() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	i := m.r.IntN(len(fr))
	// at the message's start, after its length, or one byte short of its end
	cut := []int{fr[i].start, fr[i].body, fr[i].end - 1}[m.r.IntN(3)]
	if cut < 0 || cut >= len(m.b) {
		return false
	}
	m.b = m.b[:cut]
	return m.op("truncmsg@%d=%d", i, cut)
}

// uintInBody picks a position inside a message body holding a valid uint.
func (m *mutator) uintInBody(fr []frame) (f frame, pos int, v uint64, n int, ok bool) {
	for try := 0; try < 8; try++ {
		f = fr[m.r.IntN(len(fr))]
		if f.end <= f.body {
			continue
		}
		pos = f.body + m.r.IntN(f.end-f.body)
		if v, n, ok = readUint(m.b[:f.end], pos); ok {
			return f, pos, v, n, true
		}
	}
	return f, 0, 0, 0, false
}

// inflate replaces a uint inside a message (a count, length, delta, id or
// value) by a large one, fixing the message length.
func (m *mutator) inflate() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	f, pos, v, n, ok := m.uintInBody(fr)
	if !ok {
		return false
	}
	nv := hugeValues[m.r.IntN(len(hugeValues))]
	if m.r.IntN(4) == 0 {
		nv = v + 1 + uint64(m.r.IntN(16))
	}
	body := slices.Clone(m.b[f.body:f.end])
	rel := pos - f.body
	body = slices.Concat(body[:rel], appendUint(nil, nv), body[rel+n:])
	m.b = withBody(m.b, f, body)
	return m.op("inflate@%d=%#x", pos, nv)
}

// widen re-encodes a uint (a message length, or one inside a message) with
// more bytes than needed.
func (m *mutator) widen() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	if m.r.IntN(3) == 0 {
		f := fr[m.r.IntN(len(fr))]
		w := 1 + m.r.IntN(8)
		l := uint64(f.end - f.body)
		if l>>(8*w) != 0 && w < 8 {
			return false
		}
		m.b = slices.Concat(m.b[:f.start], appendWideUint(nil, l, w), m.b[f.body:])
		return m.op("widenlen@%d/%d", f.start, w)
	}
	f, pos, v, n, ok := m.uintInBody(fr)
	if !ok {
		return false
	}
	lo := max(n-1, 1) // payload bytes now (a single-byte uint has none)
	w := lo + m.r.IntN(9-lo)
	if w < 8 && v>>(8*w) != 0 {
		return false
	}
	body := slices.Clone(m.b[f.body:f.end])
	rel := pos - f.body
	body = slices.Concat(body[:rel], appendWideUint(nil, v, w), body[rel+n:])
	m.b = withBody(m.b, f, body)
	return m.op("widen@%d/%d", pos, w)
}

// framelen changes a declared message length by a little, without moving
// any bytes.
func (m *mutator) framelen() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	f := fr[m.r.IntN(len(fr))]
	l := int64(f.end-f.body) + int64(m.r.IntN(17)-8)
	if l < 0 || l == int64(f.end-f.body) {
		return false
	}
	m.b = slices.Concat(m.b[:f.start], appendUint(nil, uint64(l)), m.b[f.body:])
	return m.op("framelen@%d=%d", f.start, l)
}

func (m *mutator) msgswap() bool {
	fr := m.frames()
	if len(fr) < 2 {
		return false
	}
	i, j := m.r.IntN(len(fr)), m.r.IntN(len(fr))
	if i == j {
		return false
	}
	i, j = min(i, j), max(i, j)
	a, b := fr[i], fr[j]
	m.b = slices.Concat(m.b[:a.start], m.b[b.start:b.end], m.b[a.end:b.start], m.b[a.start:a.end], m.b[b.end:])
	return m.op("msgswap@%d,%d", i, j)
}

func (m *mutator) msgdrop() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	i := m.r.IntN(len(fr))
	m.b = slices.Delete(m.b, fr[i].start, fr[i].end)
	return m.op("msgdrop@%d", i)
}

func (m *mutator) msgdup() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	i, j := m.r.IntN(len(fr)), m.r.IntN(len(fr)+1)
	msg := slices.Clone(m.b[fr[i].start:fr[i].end])
	at := len(m.b)
	if j < len(fr) {
		at = fr[j].start
	}
	m.b = slices.Insert(m.b, at, msg...)
	return m.op("msgdup@%d>%d", i, j)
}

// knownIDs collects the type ids the stream's messages carry.
func (m *mutator) knownIDs(fr []frame) []int64 {
	var ids []int64
	for _, f := range fr {
		if id, _, ok := frameID(m.b, f); ok {
			ids = append(ids, max(id, -id))
		}
	}
	return ids
}

func (m *mutator) pickID(known []int64) int64 {
	switch x := m.r.IntN(10); {
	case x < 4 && len(known) > 0:
		return known[m.r.IntN(len(known))]
	case x < 6:
		return []int64{1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23}[m.r.IntN(16)]
	case x < 7:
		return []int64{0, -1, 9, 63, 1 << 20, -1 << 40}[m.r.IntN(6)]
	default:
		mx := int64(64)
		for _, k := range known {
			mx = max(mx, k)
		}
		return mx + 1 + int64(m.r.IntN(3))
	}
}

// msgid changes the type id heading a message (value or definition).
func (m *mutator) msgid() bool {
	fr := m.frames()
	if len(fr) == 0 {
		return false
	}
	f := fr[m.r.IntN(len(fr))]
	old, n, ok := frameID(m.b, f)
	if !ok {
		return false
	}
	nid := m.pickID(m.knownIDs(fr))
	if old < 0 && m.r.IntN(2) == 0 {
		nid = -nid
	}
	body := slices.Concat(appendInt(nil, nid), m.b[f.body+n:f.end])
	m.b = withBody(m.b, f, body)
	return m.op("msgid@%d:%d>%d", f.start, old, nid)
}

// idswap swaps the ids heading two messages.
func (m *mutator) idswap() bool {
	fr := m.frames()
	if len(fr) < 2 {
		return false
	}
	i, j := m.r.IntN(len(fr)), m.r.IntN(len(fr))
	if i == j {
		return false
	}
	i, j = min(i, j), max(i, j)
	a, b := fr[i], fr[j]
	ia, na, ok1 := frameID(m.b, a)
	ib, nb, ok2 := frameID(m.b, b)
	if !ok1 || !ok2 || ia == ib {
		return false
	}
	ba := slices.Concat(appendInt(nil, ib), m.b[a.body+na:a.end])
	bb := slices.Concat(appendInt(nil, ia), m.b[b.body+nb:b.end])
	var out []byte
	out = appendUint(append(out, m.b[:a.start]...), uint64(len(ba)))
	out = append(append(out, ba...), m.b[a.end:b.start]...)
	out = appendUint(out, uint64(len(bb)))
	m.b = append(append(out, bb...), m.b[b.end:]...)
	return m.op("idswap@%d,%d", i, j)
}

// typedefs returns the type definition messages that parse as wireTypes.
func (m *mutator) typedefs(fr []frame) (defs []frame, infos []*wireInfo) {
	for _, f := range fr {
		id, n, ok := frameID(m.b, f)
		if !ok || id >= 0 {
			continue
		}
		if info, ok := parseWire(m.b[f.body:f.end], n); ok {
			defs = append(defs, f)
			infos = append(infos, info)
		}
	}
	return
}

// defid changes a type id inside a type definition (the type's own id, an
// element, key or field type).
func (m *mutator) defid() bool {
	fr := m.frames()
	defs, infos := m.typedefs(fr)
	if len(defs) == 0 {
		return false
	}
	k := m.r.IntN(len(defs))
	f, info := defs[k], infos[k]
	if len(info.ids) == 0 {
		return false
	}
	ref := info.ids[m.r.IntN(len(info.ids))]
	nid := m.pickID(m.knownIDs(fr))
	body := m.b[f.body:f.end]
	body = slices.Concat(body[:ref.off], appendInt(nil, nid), body[ref.off+ref.n:])
	m.b = withBody(m.b, f, body)
	return m.op("defid@%d:%d>%d", f.body+ref.off, ref.val, nid)
}

// extrafield appends a field to a struct definition: with an empty name, a
// new name, or a duplicate name.
func (m *mutator) extrafield() bool {
	fr := m.frames()
	defs, infos := m.typedefs(fr)
	var cand []int
	for i, info := range infos {
		if info.fieldsOff >= 0 {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return false
	}
	k := cand[m.r.IntN(len(cand))]
	f, info := defs[k], infos[k]
	name := []string{"", "Zz", "Ünï"}[m.r.IntN(3)]
	if m.r.IntN(4) == 0 && len(info.fieldNames) > 0 {
		name = info.fieldNames[m.r.IntN(len(info.fieldNames))]
	}
	id := m.pickID(m.knownIDs(fr))
	var entry []byte
	last := -1
	if name != "" {
		entry = appendUint(append(entry, 1), uint64(len(name)))
		entry = append(entry, name...)
		last = 0
	}
	if id != 0 {
		entry = appendInt(append(entry, byte(1-last)), id)
	}
	entry = append(entry, 0)
	body := m.b[f.body:f.end]
	body = slices.Concat(body[:info.fieldsOff], appendUint(nil, info.fieldsCnt+1),
		body[info.fieldsOff+info.fieldsN:info.fieldsEnd], entry, body[info.fieldsEnd:])
	m.b = withBody(m.b, f, body)
	return m.op("extrafield@%d:%q=%d", f.start, name, id)
}

// wireextra sets one more (empty) member of a wireType, or an unknown one.
func (m *mutator) wireextra() bool {
	fr := m.frames()
	defs, infos := m.typedefs(fr)
	if len(defs) == 0 {
		return false
	}
	k := m.r.IntN(len(defs))
	f, info := defs[k], infos[k]
	field := info.lastField + 1 + m.r.IntN(max(1, 7-info.lastField))
	body := m.b[f.body:f.end]
	ins := append(appendUint(nil, uint64(field-info.lastField)), 0)
	body = slices.Concat(body[:info.wireEnd], ins, body[info.wireEnd:])
	m.b = withBody(m.b, f, body)
	return m.op("wireextra@%d:%d", f.start, field)
}

// dropend drops the final byte of a message when it is 0 (a struct's
// terminator, in value and definition messages alike).
func (m *mutator) dropend() bool {
	fr := m.frames()
	var cand []frame
	for _, f := range fr {
		if f.end > f.body && m.b[f.end-1] == 0 {
			cand = append(cand, f)
		}
	}
	if len(cand) == 0 {
		return false
	}
	f := cand[m.r.IntN(len(cand))]
	m.b = withBody(m.b, f, m.b[f.body:f.end-1])
	return m.op("dropend@%d", f.start)
}

// addtypedef inserts a definition of an unused type id.
func (m *mutator) addtypedef() bool {
	fr := m.frames()
	mx := int64(63)
	for _, k := range m.knownIDs(fr) {
		mx = max(mx, k)
	}
	id := mx + 1 + int64(m.r.IntN(3))
	body := appendInt(nil, -id)
	kind := m.r.IntN(3)
	common := func(b []byte, name string) []byte {
		b = append(b, 1) // CommonType
		b = appendUint(append(b, 1), uint64(len(name)))
		b = appendInt(append(append(b, name...), 1), id)
		return append(b, 0)
	}
	switch kind {
	case 0: // empty wireType
		body = append(body, 0)
	case 1: // struct with no fields
		body = append(common(append(body, 3), "Unused"), 0, 0)
	default: // slice of int
		body = append(appendInt(append(common(append(body, 2), "[]int"), 1), 2), 0, 0)
	}
	msg := appendUint(nil, uint64(len(body)))
	msg = append(msg, body...)
	j := m.r.IntN(len(fr) + 1)
	at := len(m.b)
	if j < len(fr) {
		at = fr[j].start
	}
	m.b = slices.Insert(m.b, at, msg...)
	return m.op("addtypedef@%d:%d/%d", at, id, kind)
}
