package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"suyuan/ent"
	"suyuan/ent/document"
	"suyuan/ent/documentcontent"
	"suyuan/internal/tenancy"
)

// Store keeps documents' bytes: in the database (a DocumentContent row
// beside the document's, in the same transaction) when it has no
// directory; otherwise in the directory, one file per content named by
// its SHA-256 (two documents with the same bytes share a file), written
// to a temporary file, synced and renamed into place before the
// document's row commits. Documents kept in the database stay readable
// after a directory is configured.
type Store struct {
	client *ent.Client
	dir    string
	// staging counts this process's uploads of each content between the
	// file's rename and their commit, so that one rolled back does not
	// remove the file another is about to commit.
	mu      sync.Mutex
	staging map[string]int
}

// NewStore returns the store over client, keeping files in dir (""
// keeps them in the database). The directory is created, readable by the
// server's user only, if it does not exist.
func NewStore(client *ent.Client, dir string) (*Store, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the document directory: %w", err)
		}
		f, err := os.CreateTemp(dir, ".check-*")
		if err != nil {
			return nil, fmt.Errorf("the document directory is not writable: %w", err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return &Store{client: client, dir: dir, staging: map[string]int{}}, nil
}

// Dir is the directory documents are kept in, or "" for the database.
func (s *Store) Dir() string { return s.dir }

// file is where content of hash sum is kept in the directory: beneath a
// folder of its first two hex digits, so that no folder grows too large.
func (s *Store) file(sum string) string {
	return filepath.Join(s.dir, sum[:2], sum)
}

// Stage makes content of hash sum ready to be kept by the recording
// about to run. With a directory it writes the file now, durably; the
// returned done must be called once the recording ended, with whether it
// committed: a recording that did not commit takes its file away again
// unless a committed document holds the same bytes. Without a directory
// it does nothing: Keep writes the bytes in the recording's transaction.
func (s *Store) Stage(ctx context.Context, sum string, data []byte) (done func(committed bool), err error) {
	if s.dir == "" {
		return func(bool) {}, nil
	}
	s.mu.Lock()
	s.staging[sum]++
	s.mu.Unlock()
	unstage := func(committed bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.staging[sum]--; s.staging[sum] > 0 {
			return
		}
		delete(s.staging, sum)
		if committed {
			return
		}
		held, err := s.client.Document.Query().Where(document.Sha256(sum)).Exist(tenancy.System(context.WithoutCancel(ctx)))
		if err == nil && !held {
			os.Remove(s.file(sum))
		}
	}
	if err := s.write(sum, data); err != nil {
		unstage(false)
		return nil, err
	}
	return unstage, nil
}

// write puts data in its file: a temporary file in the same folder,
// synced, then renamed, so that a file under its final name is always
// whole; the folder is synced so that the rename survives a crash.
func (s *Store) write(sum string, data []byte) error {
	final := s.file(sum)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating a document folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("creating a document file: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing a document file: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing the document folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the document folder: %w", err)
	}
	return nil
}

// Keep writes a document's bytes in the recording's transaction when the
// store has no directory.
func (s *Store) Keep(ctx context.Context, tx *ent.Tx, documentID int, data []byte) error {
	if s.dir != "" {
		return nil
	}
	if err := tx.DocumentContent.Create().SetDocumentID(documentID).SetContent(data).Exec(ctx); err != nil {
		return fmt.Errorf("storing a document's content: %w", err)
	}
	return nil
}

// Open returns a document's bytes. The caller has read d through the
// privacy policies; the content is read beneath them.
func (s *Store) Open(ctx context.Context, d *ent.Document) (io.ReadSeekCloser, error) {
	if s.dir != "" {
		f, err := os.Open(s.file(d.Sha256))
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("opening document %d: %w", d.ID, err)
		}
	}
	c, err := s.client.DocumentContent.Query().Where(documentcontent.DocumentID(d.ID)).Only(tenancy.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading document %d: %w", d.ID, err)
	}
	return readSeekNopCloser{bytes.NewReader(c.Content)}, nil
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }
