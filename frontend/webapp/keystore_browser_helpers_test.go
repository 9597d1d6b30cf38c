package webapp

import "github.com/chromedp/chromedp"

// createKeystore opens the keystore page of the launched UI and creates the keystore
// with the test passphrase, up to the empty key list.
func (s *stack) createKeystore() chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.Navigate(s.base + "/keystore"),
		chromedp.WaitVisible(`[data-testid=passphrase2]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=passphrase]`, passphrase, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=passphrase2]`, passphrase, chromedp.ByQuery),
		click(`[data-testid=unlock]`),
		chromedp.WaitVisible(`[data-testid=no-keys]`, chromedp.ByQuery),
	}
}

// addS3Key fills and saves the form of a new S3 key (path-style addressing, the
// test access key and secret) on the keystore page, up to the key's facts.
func addS3Key(name, description, endpoint, bucket string) chromedp.Tasks {
	ts := chromedp.Tasks{
		click(`[data-testid=add-key]`),
		chromedp.WaitVisible(`[data-testid=key-form][data-kind=s3]`, chromedp.ByQuery),
		chromedp.SendKeys(`#key-name`, name, chromedp.ByQuery),
	}
	if description != "" {
		ts = append(ts, chromedp.SendKeys(`#key-description`, description, chromedp.ByQuery))
	}
	return append(ts,
		chromedp.SendKeys(`#key-endpoint`, endpoint, chromedp.ByQuery),
		chromedp.SendKeys(`#key-region`, s3Region, chromedp.ByQuery),
		chromedp.SendKeys(`#key-bucket`, bucket, chromedp.ByQuery),
		chromedp.SendKeys(`#key-access`, s3AccessKey, chromedp.ByQuery),
		chromedp.SendKeys(`#key-secret`, s3Secret, chromedp.ByQuery),
		click(`input[name=path_style]`),
		click(`[data-testid=save-key]`),
		chromedp.WaitVisible(`[data-testid=key-facts]`, chromedp.ByQuery),
	)
}
