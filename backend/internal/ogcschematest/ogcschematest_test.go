package ogcschematest

import "testing"

func TestPatchedAndAnyOf(t *testing.T) {
	// An integer value matches both the number and the integer branch of
	// additionalParameter.yaml's oneOf.
	param := []byte(`{"name":"tile size","value":[512]}`)
	if err := Patched(t).Validate(t, "additionalParameter.yaml", param); err == nil {
		t.Error("Patched: an integer matched two oneOf branches and passed")
	}
	if err := AnyOf(t).Validate(t, "additionalParameter.yaml", param); err != nil {
		t.Errorf("AnyOf: %v", err)
	}
	for _, s := range []*Schemas{Patched(t), AnyOf(t)} {
		if err := s.Validate(t, "bbox.yaml", []byte(`{"bbox":[1,2,3]}`)); err == nil {
			t.Error("a three-number bbox passed")
		}
		if err := s.Validate(t, "inlineOrRefData.yaml", []byte(`{"x":1}`)); err == nil {
			t.Error("a bare object passed as inlineOrRefData")
		}
		if err := s.Validate(t, "subscriber.yaml", []byte(`{"successUri":"https://example.com/ok"}`)); err != nil {
			t.Errorf("subscriber with successUri: %v", err)
		}
	}
}

func TestValidateExecute(t *testing.T) {
	s := Patched(t)
	s.ValidateExecute(t, []byte(`{"inputs":{"a":1,"b":[{"href":"https://example.com/x"},"s"],"c":{"value":{"x":1},"mediaType":"application/json"}},"response":"document"}`))

	var rec recorder
	s.ValidateExecute(&rec, []byte(`{"inputs":{"a":[{"x":1}]}}`))
	if rec.errors != 1 {
		t.Errorf("a bare object in an array: %d errors, want 1", rec.errors)
	}
}

// recorder counts the failures a check reports without failing the test.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatalf(f string, a ...any) {
	panic("unexpected Fatalf: " + f)
}
