package scimapi

import (
	"net/http"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// searchAll answers POST /.search at the base URL: a search across
// resource types (RFC 7644 §3.4.3). The SearchRequest is read and checked
// as /Users/.search reads it; the answer is one ListResponse of the
// team's Users, then its Groups, each rendered and projected as its own
// endpoint would, paged over the two lists as one (totalResults is their
// sum).
//
// The filter runs on each type whose attributes it names (scim.FilterApplies):
// displayName and meta.* apply to both, userName only to Users,
// members only to Groups. A filter naming attributes no type has in full
// (or a typo) is the 400 invalidFilter /Users would answer. sortBy can't
// order two lists whose attributes differ, and is refused with a 400 that
// says where to sort instead.
func (s *Handler) searchAll(w http.ResponseWriter, r *http.Request) error {
	q, err := queryFromSearch(r)
	if err != nil {
		return err
	}
	o, err := s.parseList(q)
	if err != nil {
		return err
	}
	if o.SortBy != "" {
		return scim.BadRequest(scim.InvalidValue, "sortBy can't order a search across resource types, whose attributes differ; to sort, search /Users/.search or /Groups/.search")
	}
	p := principal(r)
	urt := s.svc.UserType(p.Team)
	users := o.Filter == nil || scim.FilterApplies(urt, o.Filter)
	groups := o.Filter == nil || scim.FilterApplies(scim.GroupType, o.Filter)
	if !users && !groups {
		// Neither type has every attribute named: the Users search says
		// which one it lacks.
		if _, _, err := s.svc.ListUsers(r.Context(), p, o); err != nil {
			return err
		}
		return scim.BadRequest(scim.InvalidFilter, "no resource type has every attribute this filter names")
	}
	proj := scim.ParseProjection(q.attributes, q.excluded)
	res := []any{}
	total := 0
	// page asks a type for what the page still needs: its rows from the
	// page's start, less the rows of the types before it.
	page := func() (start, count int) {
		return max(o.StartIndex-1-total, 0) + 1, o.Count - len(res)
	}
	if users {
		uo := o
		uo.StartIndex, uo.Count = page()
		uo.WithRelated = proj.Returns(urt, "groups")
		list, n, err := s.svc.ListUsers(r.Context(), p, uo)
		if err != nil {
			return err
		}
		for _, u := range list {
			res = append(res, proj.Apply(urt, s.renderUser(r, u)))
		}
		total += n
	}
	if groups {
		gro := o
		gro.StartIndex, gro.Count = page()
		gro.WithRelated = proj.Returns(scim.GroupType, "members")
		list, n, err := s.svc.ListGroups(r.Context(), p, gro)
		if err != nil {
			return err
		}
		for _, g := range list {
			if gro.WithRelated && g.Members == nil {
				g.Members = []store.MemberRef{}
			}
			res = append(res, proj.Apply(scim.GroupType, s.renderGroup(r, g)))
		}
		total += n
	}
	writeJSON(w, http.StatusOK, scim.NewList(total, o.StartIndex, res))
	return nil
}
