package jobs

// PlaceNear names a place near lon, lat for a row's summary ("" when none is known).
// It is a variable so that the application can plug in its gazetteer.
var PlaceNear = func(lon, lat float64) string { return "" }
