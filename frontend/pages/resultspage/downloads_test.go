package resultspage_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/internal/waitfor"
)

func (p *page) post(path string, form url.Values) *http.Response {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

func (p *page) postDoc(path string, form url.Values) (int, string) {
	resp := p.post(path, form)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *page) wait() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	if _, err := p.dl.Wait(ctx, p.jobID); err != nil {
		p.t.Fatal(err)
	}
}

// The folder is checked when it is typed and again on Download: an unusable one is
// refused with the reason, and nothing is queued (issue 14 §5; it said "2 files
// queued" next to "Failed — Not found").
func TestDownloadFolderCheckedBeforeQueueing(t *testing.T) {
	p := newPage(t)
	st, body := p.postDoc("/jobs/"+p.jobID+"/downloads/check", url.Values{"dest": {"/proc/nope/here"}})
	d := doc(t, body)
	if st != 200 || !strings.Contains(d.Find("[data-testid=download-folder-problem]").Text(), "/proc/nope/here cannot be created (/proc is not writable)") {
		t.Fatalf("check of an unusable folder: %d %s", st, body)
	}
	good := filepath.Join(t.TempDir(), "new", "folder")
	_, body = p.postDoc("/jobs/"+p.jobID+"/downloads/check", url.Values{"dest": {good}})
	if d := doc(t, body); d.Find("[data-testid=download-folder-problem]").Length() != 0 || !strings.Contains(d.Text(), "Files will go to "+good) {
		t.Fatalf("check of a good folder: %s", body)
	}

	st, body = p.postDoc("/jobs/"+p.jobID+"/downloads", url.Values{"dest": {"/proc/nope/here"}, "all": {"1"}})
	d = doc(t, body)
	if st != 200 || d.Find("[data-testid=download-notice]").Length() != 0 ||
		!strings.Contains(d.Find("[data-testid=download-problem]").Text(), "Nothing was queued: The folder /proc/nope/here cannot be created") {
		t.Fatalf("download into an unusable folder: %d %s", st, body)
	}
	if n := len(p.dl.View(p.jobID).Files); n != 0 {
		t.Fatalf("%d files queued into an unusable folder", n)
	}
}

// The panel offers only what applies: no Pause/Resume once every file is done, Retry
// for failed ones; and no download controls for results without assets.
func TestDownloadControlsFollowState(t *testing.T) {
	p := newPage(t)
	item := url.PathEscape("scene <b>1</b>")
	dest := t.TempDir()
	p.post("/jobs/"+p.jobID+"/downloads", url.Values{"dest": {dest}, "asset": {item + "/thumbnail"}}).Body.Close()
	p.wait()
	_, body := p.get("/jobs/" + p.jobID + "/downloads")
	d := doc(t, body)
	if d.Find("[data-testid=download-file][data-state=completed]").Length() != 1 {
		t.Fatalf("not done: %s", body)
	}
	for _, id := range []string{"pause-all", "resume-all", "cancel-all"} {
		if d.Find("[data-testid="+id+"]").Length() != 0 {
			t.Errorf("%s offered once every file is done", id)
		}
	}
	if !strings.Contains(d.Find("[data-testid=download-folders]").Text(), dest) {
		t.Errorf("the folder is not shown: %s", body)
	}

	p.post("/jobs/"+p.jobID+"/downloads", url.Values{"dest": {dest}, "asset": {item + "/broken"}}).Body.Close()
	p.wait()
	_, body = p.get("/jobs/" + p.jobID + "/downloads")
	d = doc(t, body)
	if d.Find("[data-testid=pause-all]").Length() != 0 || d.Find("[data-testid=resume-all]").Text() != "Retry failed" {
		t.Errorf("with a failed file: pause-all %d, resume-all %q", d.Find("[data-testid=pause-all]").Length(), d.Find("[data-testid=resume-all]").Text())
	}
	if !strings.HasPrefix(d.Find("[data-testid=download-error]").Text(), "Failed: ") {
		t.Errorf("failure not worded: %q", d.Find("[data-testid=download-error]").Text())
	}

	_, body = p.get("/jobs/" + p.emptyJob + "/results")
	d = doc(t, body)
	if d.Find("[data-testid=download-all]").Length() != 0 || d.Find("[data-testid=download-selected]").Length() != 0 ||
		d.Find("[data-testid=export-card]").Length() != 0 || d.Find("[data-testid=download-none]").Length() != 1 {
		t.Fatalf("results without assets offer downloads: %s", body)
	}
}
