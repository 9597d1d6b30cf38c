package results

import (
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// A size mismatch is not reported as a checksum mismatch with a .corrupt file that
// does not exist.
func TestReasonSaysWhatHappened(t *testing.T) {
	size := reason(driver.Errorf(transfer.DataLoss, "transfer: a.tif: the server has 10 bytes, the catalog says 12"))
	if strings.Contains(size, "corrupt") || strings.Contains(size, "Checksum") || !strings.Contains(size, "the catalog says 12") {
		t.Errorf("size mismatch: %q", size)
	}
	sum := reason(driver.Errorf(transfer.DataLoss, "transfer: a.tif (kept as a.tif.corrupt): checksum mismatch"))
	if !strings.Contains(sum, "kept as a.tif.corrupt") {
		t.Errorf("checksum mismatch: %q", sum)
	}
}
