package console

import (
	"net/http"
)

// guide is one IdP's setup guide; the template fills in the team's base URL.
type guide struct {
	ID, Name string
}

var guides = []guide{{"okta", "Okta"}, {"entra", "Microsoft Entra ID"}, {"onelogin", "OneLogin"}, {"jumpcloud", "JumpCloud"}}

type guideData struct {
	Guide   guide
	Guides  []guide
	BaseURL string
	HTTPS   bool
	SCIMOn  bool
}

func (c *Console) guideIndex(w http.ResponseWriter, r *http.Request, p *page) error {
	http.Redirect(w, r, p.T()+"/settings/guides/okta", http.StatusSeeOther)
	return nil
}

func (c *Console) guidePage(w http.ResponseWriter, r *http.Request, p *page) error {
	d := &guideData{Guides: guides, BaseURL: c.baseURL(r), SCIMOn: p.Team.SCIMEnabled}
	d.HTTPS = len(d.BaseURL) > 8 && d.BaseURL[:8] == "https://"
	for _, g := range guides {
		if g.ID == r.PathValue("idp") {
			d.Guide = g
		}
	}
	if d.Guide.ID == "" {
		return errGuideNotFound
	}
	p.Title, p.Nav, p.Data = d.Guide.Name+" setup guide", "guides", d
	return c.render(w, "guide", p)
}
