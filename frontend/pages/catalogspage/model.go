package catalogspage

import "github.com/geojobs/geojobs/backend/store"

// Model is the page.
type Model struct {
	Catalogs []store.STACCatalog
	Keys     []string
	Form     store.STACCatalog
	Err      string
	Notice   string
}
