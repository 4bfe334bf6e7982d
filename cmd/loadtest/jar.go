package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
)

// siteJar is one browser's cookies for a site served by several processes:
// whichever of -targets sets a cookie, every target is sent it, as a load
// balancer's single address would be. Cookies ignore ports, so targets on
// one host would share a plain jar anyway; targets on several hosts need
// this one, which files every cookie under the first target.
type siteJar struct {
	site  *url.URL
	inner *cookiejar.Jar
}

var _ http.CookieJar = (*siteJar)(nil)

func newSiteJar(site *url.URL) *siteJar {
	inner, _ := cookiejar.New(nil) // never fails without options
	return &siteJar{site: site, inner: inner}
}

// SetCookies keeps cookies as if u's host were the site's; the path stays u's.
func (j *siteJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.inner.SetCookies(j.onSite(u), cookies)
}

// Cookies returns the cookies of the site that u's path would be sent.
func (j *siteJar) Cookies(u *url.URL) []*http.Cookie { return j.inner.Cookies(j.onSite(u)) }

func (j *siteJar) onSite(u *url.URL) *url.URL {
	v := *u
	v.Scheme, v.Host = j.site.Scheme, j.site.Host
	return &v
}
