package webapp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
)

// TestBrowserS3Results: in Chromium, create the keystore and an S3 key, see it masked,
// then open the results of a ZOO job whose assets are s3:// objects in that bucket,
// download them all and export them to a folder of the bucket; the downloaded files
// are on disk, verified, with their local catalog, and the export's catalog is in the
// bucket.
func TestBrowserS3Results(t *testing.T) {
	s := startKeys(t)
	s3, be := s3Server(t, "results")
	jobID, masks := zooJob(t, s.stack, s3.URL)
	ctx, console := browser(t)
	run := steps(ctx, t)
	run("create the keystore", s.createKeystore())
	run("add the S3 key of the results bucket", addS3Key("zoo-results", "", s3.URL, "results"))
	var mask, keysHTML string
	run("see it masked",
		chromedp.Navigate(s.base+"/keystore"),
		chromedp.WaitVisible(`[data-testid=key][data-key=zoo-results]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=key][data-key=zoo-results] [data-testid=secret-mask]`, &mask, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &keysHTML, chromedp.ByQuery),
	)
	if mask != keystore.Mask || strings.Contains(keysHTML, s3Secret) {
		t.Fatalf("the key list shows %q", mask)
	}

	dest := filepath.Join(t.TempDir(), "zoo results")
	// The folder check answers a change of the folder, which leaving the field for a
	// button makes: its answer must not move the buttons, or the click's release lands
	// beside the button it was pressed on and does nothing (it moved Download all 31 px).
	box := `(() => { const r = document.querySelector("[data-testid=download-all]").getBoundingClientRect();
		return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()`
	var before, after []float64
	run("download every s3:// asset of the job",
		chromedp.Navigate(s.base+"/jobs/"+jobID+"/results"),
		chromedp.WaitVisible(`[data-testid=item]`, chromedp.ByQuery),
		still(`[data-testid=download-all]`),
		chromedp.Evaluate(box, &before),
		chooseFolder(dest),
		htmxIdle(),
		chromedp.Evaluate(box, &after),
		click(`[data-testid=download-all]`),
		chromedp.WaitVisible(`[data-testid=download-file]`, chromedp.ByQuery),
	)
	if !slices.Equal(before, after) {
		t.Errorf("the folder check's answer moved Download all from %v to %v", before, after)
	}
	// Completed only once checked on disk, with the catalog written (Downloads.commit).
	var done int
	var panel string
	run("wait for both files",
		downloadsSettled(2),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=download-file][data-state=completed]').length`, &done),
		chromedp.Text(`[data-testid=downloads]`, &panel, chromedp.ByQuery),
	)
	if done != 2 {
		t.Fatalf("%d files shown as done; panel: %s", done, panel)
	}
	for scene, want := range masks {
		got, err := os.ReadFile(filepath.Join(dest, scene, "otsu.tif"))
		if err != nil || string(got) != want {
			t.Errorf("%s on disk: %d bytes %v", scene, len(got), err)
		}
	}
	man, err := transfer.ReadManifest(dest)
	if err != nil || len(man.Files) != 2 {
		t.Fatalf("manifest %+v %v", man, err)
	}
	for _, f := range man.Files {
		if !f.Verified {
			t.Errorf("%s not verified", f.Name)
		}
	}
	cat, err := os.ReadFile(filepath.Join(dest, transfer.CatalogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(cat); err != nil {
		t.Fatalf("local catalog: %v", err)
	}

	var page string
	run("export all to a folder of the bucket",
		chromedp.ScrollIntoView(`[data-testid=export-card]`, chromedp.ByQuery),
		chromedp.SetValue(`[data-testid=export-key]`, "zoo-results", chromedp.ByQuery),
		chromedp.SetValue(`[data-testid=export-folder]`, "copies/run-1", chromedp.ByQuery),
		click(`[data-testid=export-all]`),
	)
	var shown int
	run("wait for the export's end",
		chromedp.WaitVisible(`[data-testid=export-total][data-running=false]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=export-catalog]').length`, &shown),
		chromedp.OuterHTML(`html`, &page, chromedp.ByQuery),
	)
	if shown != 1 {
		var card string
		_ = chromedp.Run(ctx, chromedp.OuterHTML(`[data-testid=export-card]`, &card, chromedp.ByQuery))
		t.Fatalf("the export's catalog is not shown; card: %s", card)
	}
	if n := strings.Count(page, `data-testid="export-file" data-state="done"`); n != 2 {
		t.Errorf("%d files shown as exported", n)
	}
	if got := getObject(t, be, "results", "copies/run-1/catalog.json"); stac.Validate([]byte(got)) != nil {
		t.Errorf("exported catalog: %s", got)
	}
	console.check(t)
	s.noLeaks(t, map[string]string{"key list": keysHTML, "results page": page})
}
