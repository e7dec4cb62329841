package server

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"suyuan/internal/errcode"
	"suyuan/internal/store"
)

// ReadAfterHeader carries a client's last write's position: sent back on
// every answer to a request that recorded something, and sent by the
// client with the requests after it, so that their reads — which read
// replicas may serve — see that write. Browsers carry it in the cookie
// of the same name instead.
const (
	ReadAfterHeader = "Suyuan-Read-After"
	readAfterCookie = "suyuan_read_after"
	// readAfterMaxAge bounds the cookie's life: long past any lag a
	// replica is used with.
	readAfterMaxAge = 5 * time.Minute
)

// readYourWrites lets a client read its own writes when reads go to
// replicas (store.ReadAfter): the position of its last write comes in the
// Suyuan-Read-After header or cookie, and goes back out with the answer to
// a request that recorded something. Without replicas it is not used.
func (s *Server) readYourWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if v := r.Header.Get(ReadAfterHeader); v != "" {
			p, err := store.ParsePosition(v)
			if err != nil {
				writeFieldError(w, http.StatusBadRequest, errcode.Field(errcode.InvalidRequest, ReadAfterHeader,
					"%s must be a position this server sent, such as 0-1-1204", ReadAfterHeader))
				return
			}
			ctx = store.ReadAfter(ctx, p)
		} else if c, err := r.Cookie(readAfterCookie); err == nil {
			// A cookie may outlive a change of primary; one that does not
			// parse is ignored, not refused.
			if p, err := store.ParsePosition(c.Value); err == nil {
				ctx = store.ReadAfter(ctx, p)
			}
		}
		ctx, writes := store.TrackWrites(ctx)
		next.ServeHTTP(&positionWriter{ResponseWriter: w, writes: writes}, r.WithContext(ctx))
	})
}

// positionWriter adds, as the answer starts, the position of the
// request's writes.
type positionWriter struct {
	http.ResponseWriter
	writes *store.Writes
	wrote  bool
}

func (w *positionWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		if p := w.writes.Position(); p != "" {
			w.Header().Set(ReadAfterHeader, string(p))
			http.SetCookie(w, &http.Cookie{Name: readAfterCookie, Value: string(p), Path: "/",
				MaxAge: int(readAfterMaxAge.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *positionWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *positionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeReplicas lists the replicas' states for /readyz.
func writeReplicas(w io.Writer, states []store.ReplicaState) {
	for _, st := range states {
		if st.Healthy {
			fmt.Fprintf(w, "replica %s: in use, %s behind\n", st.Name, st.Lag)
		} else {
			fmt.Fprintf(w, "replica %s: not used: %s\n", st.Name, st.Problem)
		}
	}
}
