package prefs

import "context"

// KeyJobNotifications turns the notices of jobs that end off ("off"); on by default.
const KeyJobNotifications = "notifications.jobs"

// JobNotifications reports whether jobs that end are to be notified (browser and
// desktop notifications); on unless turned off, and on when the setting cannot be read.
func JobNotifications(ctx context.Context, s interface {
	Setting(ctx context.Context, key string) (string, bool, error)
}) bool {
	v, ok, err := s.Setting(ctx, KeyJobNotifications)
	return err != nil || !ok || v != "off"
}

// SetJobNotifications turns the notices of jobs that end on or off.
func SetJobNotifications(ctx context.Context, s interface {
	SetSetting(ctx context.Context, key, value string) error
}, on bool) error {
	v := "off"
	if on {
		v = "on"
	}
	return s.SetSetting(ctx, KeyJobNotifications, v)
}
