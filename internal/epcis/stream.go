package epcis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// stream reads the structure of a JSON document from a reader: the
// delimiters and keys of the document's outer objects, and each other
// value as its raw text, so that one event at a time is in memory. It
// checks only what it needs to find where values end; the values
// themselves are checked by whoever reads them.
type stream struct {
	r   *bufio.Reader
	off int64 // bytes consumed
}

func newStream(r io.Reader) *stream {
	return &stream{r: bufio.NewReaderSize(r, 64<<10)}
}

// errSyntax is returned, wrapped with the offset, for malformed JSON;
// io.ErrUnexpectedEOF for a document that stops early. Other errors come
// from the reader.
var errSyntax = errors.New("invalid JSON")

func (s *stream) syntaxErr() error {
	return fmt.Errorf("%w at byte %d", errSyntax, s.off)
}

// peek skips white space and returns the next byte without consuming it.
// At the end of input it returns io.EOF.
func (s *stream) peek() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			s.off++
			continue
		}
		s.r.UnreadByte()
		return c, nil
	}
}

// next consumes the byte peek returned.
func (s *stream) next() {
	s.r.ReadByte()
	s.off++
}

// expect consumes c, which must come next.
func (s *stream) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return unexpectedEOF(err)
	}
	if got != c {
		return s.syntaxErr()
	}
	s.next()
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// key reads an object key and the colon after it.
func (s *stream) key() (string, error) {
	c, err := s.peek()
	if err != nil {
		return "", unexpectedEOF(err)
	}
	if c != '"' {
		return "", s.syntaxErr()
	}
	raw, err := s.value(nil)
	if err != nil {
		return "", err
	}
	l := lexer{s: string(raw)}
	k, err := l.rawString()
	if err != nil {
		return "", s.syntaxErr()
	}
	return k, s.expect(':')
}

// value appends the raw text of the next value to buf: an object or
// array up to its matching bracket, a string, or a number or literal up
// to the next delimiter.
func (s *stream) value(buf []byte) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return buf, unexpectedEOF(err)
	}
	switch c {
	case '{', '[':
		return s.nested(buf)
	case '"':
		s.next()
		return s.restOfString(append(buf, '"'))
	case ',', ':', '}', ']':
		return buf, s.syntaxErr()
	default:
		for {
			c, err := s.r.ReadByte()
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return buf, err
			}
			switch c {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				s.r.UnreadByte()
				return buf, nil
			}
			s.off++
			buf = append(buf, c)
		}
	}
}

// restOfString appends the rest of a string whose opening quote has been
// read, up to and including its closing quote.
func (s *stream) restOfString(buf []byte) ([]byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return buf, unexpectedEOF(err)
		}
		s.off++
		buf = append(buf, c)
		switch c {
		case '"':
			return buf, nil
		case '\\':
			c, err := s.r.ReadByte()
			if err != nil {
				return buf, unexpectedEOF(err)
			}
			s.off++
			buf = append(buf, c)
		}
	}
}

// nested appends an object or array up to its matching bracket. It scans
// the reader's buffer a chunk at a time rather than byte by byte, since
// this is where a capture spends its reading time.
func (s *stream) nested(buf []byte) ([]byte, error) {
	depth := 0
	inString, escaped := false, false
	for {
		chunk, err := s.r.Peek(1)
		if err != nil {
			return buf, unexpectedEOF(err)
		}
		chunk, _ = s.r.Peek(s.r.Buffered())
		for i, c := range chunk {
			switch {
			case escaped:
				escaped = false
			case inString:
				switch c {
				case '\\':
					escaped = true
				case '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					buf = append(buf, chunk[:i+1]...)
					s.r.Discard(i + 1)
					s.off += int64(i + 1)
					return buf, nil
				}
			}
		}
		buf = append(buf, chunk...)
		s.r.Discard(len(chunk))
		s.off += int64(len(chunk))
	}
}
