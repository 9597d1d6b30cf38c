package forms

import (
	"encoding/json"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestKeystoreRef(t *testing.T) {
	var p ogcapi.Process
	if err := json.Unmarshal([]byte(`{"id":"p","version":"1","inputs":{
		"creds":{"description":"Name of the **keystore** entry with the bucket credentials","schema":{"type":"string"}},
		"creds2":{"schema":{"type":"string","description":"a keystore://NAME reference"}},
		"plain":{"description":"a name","schema":{"type":"string"}},
		"count":{"description":"keystore size","schema":{"type":"integer"}}
	}}`), &p); err != nil {
		t.Fatal(err)
	}
	f := New(&p)
	for id, want := range map[string]bool{"creds": true, "creds2": true, "plain": false, "count": false} {
		fl, ok := f.Field(id)
		if !ok || fl.KeystoreRef != want {
			t.Errorf("%s: KeystoreRef %v, want %v", id, fl.KeystoreRef, want)
		}
	}
}
