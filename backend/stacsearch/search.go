package stacsearch

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/geojobs/geojobs/backend/stac"
)

// ErrLoop: a next link asked for the page just fetched again.
var ErrLoop = errors.New("stacsearch: the server's next link repeats the request")

// Search runs a search on src, following next links until the source says it is the
// end or max items (0: no limit) are collected, and returns them as one ItemCollection.
// onPage, when set, sees every page as it arrives (progress, warnings).
func Search(ctx context.Context, src Source, p Params, max int, onPage func(*Page)) (*stac.ItemCollection, error) {
	req, err := src.First(p)
	if err != nil {
		return nil, err
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{}}
	for req != nil {
		page, err := src.Fetch(ctx, req)
		if err != nil {
			return nil, err
		}
		if onPage != nil {
			onPage(page)
		}
		for _, it := range page.Items {
			if max > 0 && len(ic.Features) >= max {
				return ic, nil
			}
			ic.Features = append(ic.Features, it)
		}
		if max > 0 && len(ic.Features) >= max {
			return ic, nil
		}
		if page.Next != nil && same(page.Next, req) {
			return nil, fmt.Errorf("%w (%s)", ErrLoop, page.Next.Href)
		}
		req = page.Next
	}
	return ic, nil
}

func same(a, b *Request) bool {
	return a.Method == b.Method && a.Href == b.Href && bytes.Equal(a.Body, b.Body) && a.Offset == b.Offset
}
