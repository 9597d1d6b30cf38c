package jobspage

// PlaceNear names a place near lon, lat for a row's summary ("" when none is known).
// The application sets it to the map's offline gazetteer (frontend.PlaceNear) when it
// builds the UI; it must not change afterwards.
var PlaceNear = func(lon, lat float64) string { return "" }
