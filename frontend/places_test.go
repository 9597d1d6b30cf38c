package frontend

import "testing"

// The job list's "near …" comes from the map's offline gazetteer.
func TestPlaceNear(t *testing.T) {
	if got := PlaceNear(8.55, 47.37); got != "Zürich, CH" {
		t.Errorf("PlaceNear(Zürich) = %q", got)
	}
	if got := PlaceNear(8.2, 46.8); got == "" { // the middle of Switzerland
		t.Error("no place within 150 km of the middle of Switzerland")
	}
	if got := PlaceNear(0, -40); got != "" { // the South Atlantic
		t.Errorf("PlaceNear(South Atlantic) = %q", got)
	}
}
