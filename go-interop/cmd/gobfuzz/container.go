package main

// The container format shared with the Rust side (both directions,
// little-endian): a file is a sequence of records;
//
//	record := u32 hlen, hlen bytes of JSON (the header), u32 n, n x (u32 len, len bytes)
//
// The same format carries requests and replies between this program and its
// worker processes.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	maxHeaderLen  = 16 << 20
	maxPayloads   = 1 << 10
	maxPayloadLen = 1 << 30
)

type record struct {
	Header   []byte
	Payloads [][]byte
}

// payload returns payload i, or nil when the record has fewer payloads.
func (r *record) payload(i int) []byte {
	if i < len(r.Payloads) {
		return r.Payloads[i]
	}
	return nil
}

func writeRecord(w io.Writer, header any, payloads ...[]byte) error {
	var hb []byte
	switch h := header.(type) {
	case []byte:
		hb = h
	case json.RawMessage:
		hb = h
	default:
		var err error
		if hb, err = json.Marshal(header); err != nil {
			return err
		}
	}
	var u [4]byte
	binary.LittleEndian.PutUint32(u[:], uint32(len(hb)))
	if _, err := w.Write(u[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(u[:], uint32(len(payloads)))
	if _, err := w.Write(u[:]); err != nil {
		return err
	}
	for _, p := range payloads {
		binary.LittleEndian.PutUint32(u[:], uint32(len(p)))
		if _, err := w.Write(u[:]); err != nil {
			return err
		}
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// readRecord returns io.EOF only at a clean end (no byte of a new record).
func readRecord(r io.Reader) (*record, error) {
	var u [4]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("container: reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint32(u[:])
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf("container: header length %d too large", hlen)
	}
	rec := &record{Header: make([]byte, hlen)}
	if _, err := io.ReadFull(r, rec.Header); err != nil {
		return nil, fmt.Errorf("container: reading header: %w", noEOF(err))
	}
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return nil, fmt.Errorf("container: reading payload count: %w", noEOF(err))
	}
	n := binary.LittleEndian.Uint32(u[:])
	if n > maxPayloads {
		return nil, fmt.Errorf("container: payload count %d too large", n)
	}
	for i := uint32(0); i < n; i++ {
		if _, err := io.ReadFull(r, u[:]); err != nil {
			return nil, fmt.Errorf("container: reading payload length: %w", noEOF(err))
		}
		l := binary.LittleEndian.Uint32(u[:])
		if l > maxPayloadLen {
			return nil, fmt.Errorf("container: payload length %d too large", l)
		}
		p := make([]byte, l)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, fmt.Errorf("container: reading payload: %w", noEOF(err))
		}
		rec.Payloads = append(rec.Payloads, p)
	}
	return rec, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// recordFile reads records one at a time, with one record of look-ahead.
type recordFile struct {
	name string
	f    *os.File
	r    *bufio.Reader
	peek *record
	err  error
}

func openRecords(name string) (*recordFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return &recordFile{name: name, f: f, r: bufio.NewReaderSize(f, 1<<20)}, nil
}

// next returns the next record, or nil at the end; errors are sticky.
func (rf *recordFile) next() (*record, error) {
	if rec := rf.peek; rec != nil {
		rf.peek = nil
		return rec, nil
	}
	if rf.err != nil {
		return nil, rf.err
	}
	rec, err := readRecord(rf.r)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		rf.err = fmt.Errorf("%s: %w", rf.name, err)
		return nil, rf.err
	}
	return rec, nil
}

func (rf *recordFile) peekNext() (*record, error) {
	if rf.peek != nil {
		return rf.peek, nil
	}
	rec, err := rf.next()
	rf.peek = rec
	return rec, err
}

func (rf *recordFile) Close() error { return rf.f.Close() }

// recordWriter writes records to a buffered file.
type recordWriter struct {
	f *os.File
	w *bufio.Writer
}

func createRecords(name string) (*recordWriter, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	return &recordWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (rw *recordWriter) write(header any, payloads ...[]byte) error {
	return writeRecord(rw.w, header, payloads...)
}

func (rw *recordWriter) Close() error {
	if err := rw.w.Flush(); err != nil {
		rw.f.Close()
		return err
	}
	return rw.f.Close()
}
