package resultspage

import (
	"path/filepath"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

// A job downloaded into two folders lists each copy with its folder (the panel showed
// the same two names twice, with nothing to tell which copy was where); one folder
// keeps the short names, the folder being said once above them.
func TestDownloadsPanelNamesTheFolderOfEachCopy(t *testing.T) {
	a, b := filepath.Join("home", "dl", "job"), filepath.Join("tmp", "second-copy")
	file := func(dest string) results.FileView {
		return results.FileView{Task: dest, Name: "scene-1/scene.tif", Dest: dest, State: transfer.StateCompleted, Done: 10, Size: 10}
	}
	names := func(p results.JobProgress) []string {
		var out []string
		pagetest.Render(t, DownloadsPanel("j1", p, "", "")).Find("[data-testid=download-file-name]").Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.Text())
		})
		return out
	}
	got := names(results.JobProgress{Files: []results.FileView{file(a), file(b)}})
	want := []string{filepath.Join(a, "scene-1", "scene.tif"), filepath.Join(b, "scene-1", "scene.tif")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("two folders: %q, want %q", got, want)
	}
	if got := names(results.JobProgress{Files: []results.FileView{file(a)}}); len(got) != 1 || got[0] != "scene-1/scene.tif" {
		t.Errorf("one folder: %q", got)
	}
}
