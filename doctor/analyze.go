package doctor

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/protocol"
)

// analyzer builds the ranked causes from the probes' results.
type analyzer struct {
	b      *battery
	res    *results
	proxy  *diagnose.ResponderSpec // the reverse proxy the browser probe's answer shows, if one
	causes []*Cause
	// folded are browser findings a decisive cause accounts for.
	folded map[string]bool
}

// analyze turns the results into the report. The rules, in order:
//
//  1. Contrasts decide: the browser's request refused while a variant that
//     differs in one respect upgrades makes that respect the cause (the
//     page's https Origin refused but http accepted: the app thinks it is
//     served over http; refused with Origin, accepted without: the app
//     refused the origin; refused with compression, accepted without).
//     The browser's own findings for that refusal are folded into it.
//  2. The browser's findings become causes; a variant's finding with the
//     same id adds that variant as agreement, other variant findings are
//     left to its check (a browser never sends that request). The idle
//     probe's findings are causes of their own.
//  3. --direct attributes: accepted straight from the app means the proxy
//     path makes the difference; the same refusal straight from the app
//     means the app refused, and the app's own answer is the cause.
//  4. A plain GET that hangs while the upgrade was answered is
//     connection-upgrade-forced (confirmed when the app answers it directly).
//  5. Ranking: error before warn before info; decisive before not; more
//     probes agreeing before fewer; then battery order.
func analyze(b *battery, res *results) *Report {
	r := &Report{URL: b.opts.Redact.URL(b.url.String()), Origin: b.origin, Direct: b.direct, Protocol: string(b.proto)}
	for _, p := range b.wsProbes {
		if rep := res.ws[p.name]; rep != nil && rep.UsageError() {
			r.Error, r.Hint, r.usageError = rep.Error, rep.Hint, true
			r.Causes, r.Checks = []Cause{}, []Check{}
			r.setExitCode()
			return r
		}
	}
	br := res.ws[ProbeBrowser]
	a := &analyzer{b: b, res: res, folded: map[string]bool{}, proxy: proxyOnPath(br)}
	if br.Protocol != "" {
		r.Protocol = br.Protocol
	}
	a.contrasts(br)
	a.findings(br)
	a.httpVersions(br)
	a.direct(br)
	a.plainGet(br)
	a.rank()
	r.Causes = make([]Cause, len(a.causes))
	for i, c := range a.causes {
		c.Rank = i + 1
		r.Causes[i] = *c
	}
	r.Checks = a.checks(br)
	a.redact(r)
	r.Healthy = br.Upgraded && !slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.Severity == diagnose.Error })
	r.setExitCode()
	return r
}

// add merges f into the cause with its id, or appends a new cause.
func (a *analyzer) add(f diagnose.Finding, probeName, evidence string) *Cause {
	for _, c := range a.causes {
		if c.ID == f.ID {
			a.support(c, probeName, evidence)
			if sevRank(f.Severity) > sevRank(c.Severity) {
				c.Severity = f.Severity
			}
			return c
		}
	}
	c := &Cause{Finding: f, SeenBy: []string{}, ProbeEvidence: []string{}}
	a.support(c, probeName, evidence)
	a.causes = append(a.causes, c)
	return c
}

// support records that probeName shows c.
func (a *analyzer) support(c *Cause, probeName, evidence string) {
	if !slices.Contains(c.SeenBy, probeName) {
		c.SeenBy = append(c.SeenBy, probeName)
	}
	if evidence != "" && !slices.Contains(c.ProbeEvidence, evidence) {
		c.ProbeEvidence = append(c.ProbeEvidence, evidence)
	}
}

// contrasts applies rule 1.
func (a *analyzer) contrasts(br *probe.Report) {
	ws := a.res.ws
	refused := !br.Upgraded && br.Status != 0
	ev := func(name string) string { return name + ": " + a.probeLine(name) }
	switch {
	case refused && upgraded(ws[ProbeOriginScheme]):
		c := a.decisive(a.originSchemeFinding(a.b.origin, br), ProbeBrowser, ProbeOriginScheme)
		c.Responder = appResponder()
		if upgraded(ws[ProbeNoOrigin]) {
			a.support(c, ProbeNoOrigin, ev(ProbeNoOrigin))
		}
		a.sameRefusal(c, br, ProbeNoCompress, ProbeIdle)
	case refused && upgraded(ws[ProbeNoOrigin]):
		c := a.decisive(a.originFinding(a.b.origin, br), ProbeBrowser, ProbeNoOrigin)
		c.Responder = appResponder()
		a.sameRefusal(c, br, ProbeNoCompress, ProbeIdle, ProbeOriginScheme)
	case refused && upgraded(ws[ProbeNoCompress]):
		c := a.decisive(a.compressionFinding(br, ws[ProbeNoCompress]), ProbeBrowser, ProbeNoCompress)
		a.sameRefusal(c, br, ProbeNoOrigin, ProbeOriginScheme, ProbeIdle)
	case br.Upgraded && brokenAfterUpgrade(br) && upgraded(ws[ProbeNoCompress]) && !brokenAfterUpgrade(ws[ProbeNoCompress]):
		c := a.decisive(a.compressionFinding(br, ws[ProbeNoCompress]), ProbeBrowser, ProbeNoCompress)
		for _, n := range []string{ProbeNoOrigin, ProbeOriginScheme, ProbeIdle} { // they offered compression too
			if brokenAfterUpgrade(ws[n]) {
				a.support(c, n, ev(n))
			}
		}
	case br.Upgraded && refusedAnswer(ws[ProbeNoOrigin]):
		f := a.originRequiredFinding(a.b.origin, ws[ProbeNoOrigin])
		c := a.add(f, ProbeNoOrigin, ev(ProbeNoOrigin))
		a.support(c, ProbeBrowser, ev(ProbeBrowser))
		c.Responder, c.Decisive = appResponder(), true
		for _, id := range ids(ws[ProbeNoOrigin].Findings) {
			if id != c.ID {
				c.Explains = append(c.Explains, id)
			}
			a.folded[id] = true // the no-origin probe's reading, not a cause
		}
	}
}

// decisive adds a cause decided by the contrast of two probes and folds
// the browser's error findings into it.
func (a *analyzer) decisive(f diagnose.Finding, failed, passed string) *Cause {
	c := a.add(f, failed, failed+": "+a.probeLine(failed))
	a.support(c, passed, passed+": "+a.probeLine(passed))
	c.Decisive, c.Confidence = true, diagnose.High
	for _, bf := range a.res.ws[ProbeBrowser].Findings {
		if bf.Severity == diagnose.Error && bf.ID != f.ID {
			a.folded[bf.ID] = true
			if !slices.Contains(c.Explains, bf.ID) {
				c.Explains = append(c.Explains, bf.ID)
			}
		}
	}
	return c
}

// sameRefusal adds the variants that share the refused respect and got the
// same answer as the browser to c's agreement.
func (a *analyzer) sameRefusal(c *Cause, br *probe.Report, names ...string) {
	for _, n := range names {
		if v := a.res.ws[n]; v != nil && !v.Upgraded && v.Status == br.Status {
			a.support(c, n, n+": "+a.probeLine(n))
		}
	}
}

// findings applies rule 2.
func (a *analyzer) findings(br *probe.Report) {
	for _, f := range append(withConnectionFailure(br), cableWelcomeFirst(br)...) {
		if !a.folded[f.ID] {
			a.add(f, ProbeBrowser, ProbeBrowser+": "+a.probeLine(ProbeBrowser))
		}
	}
	for _, p := range a.b.wsProbes {
		if p.name == ProbeBrowser || p.name == ProbeDirect {
			continue
		}
		rep := a.res.ws[p.name]
		for _, f := range withConnectionFailure(rep) {
			if a.folded[f.ID] {
				continue
			}
			switch {
			case p.name == ProbeIdle:
				a.add(f, p.name, p.name+": "+a.probeLine(p.name))
			case a.has(f.ID):
				// Agreement only: a variant is not the browser's request,
				// so it does not make the cause more severe.
				a.support(a.byID(f.ID), p.name, p.name+": "+a.probeLine(p.name))
			}
		}
	}
}

func (a *analyzer) has(id string) bool { return a.byID(id) != nil }

func (a *analyzer) byID(id string) *Cause {
	for _, c := range a.causes {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// direct applies rule 3.
func (a *analyzer) direct(br *probe.Report) {
	dr := a.res.ws[ProbeDirect]
	if dr == nil || br.Upgraded {
		return
	}
	line := ProbeDirect + ": " + a.probeLine(ProbeDirect)
	var fromBrowser []*Cause
	for _, c := range a.causes {
		if c.Severity == diagnose.Error && slices.Contains(c.SeenBy, ProbeBrowser) {
			fromBrowser = append(fromBrowser, c)
		}
	}
	switch {
	case dr.Upgraded:
		for _, c := range fromBrowser {
			a.support(c, ProbeDirect, line+" — the app accepts this request; the path through the proxy makes the difference")
			c.Decisive, c.Confidence = true, diagnose.High
			if c.ID == "origin-rejected" {
				// The app refused, but only what reached it through the
				// proxy: the proxy changes what it compares the Origin with.
				c.Detail += fmt.Sprintf(" Straight to the app at %s the same Origin is accepted: the proxy changes what the app compares it with (Host, X-Forwarded-Proto).", a.b.direct)
				c.Fix = a.originProxyFix() + "\nOr accept the origin as the app sees it:\n" + a.originAppFix(a.b.origin)
			} else {
				c.Responder = a.proxyResponder()
			}
		}
	case dr.Status != 0 && dr.Status == br.Status:
		note := fmt.Sprintf("The app at %s gave the same %d answer directly, without the proxy: the app refuses this request, not the proxy. ", a.b.direct, dr.Status)
		if decided := slices.ContainsFunc(fromBrowser, func(c *Cause) bool { return c.Decisive }); decided || !diagnose.HasError(dr.Findings) {
			for _, c := range fromBrowser {
				a.support(c, ProbeDirect, line)
				if !c.Decisive {
					c.Detail = note + c.Detail
				}
				c.Responder, c.Decisive, c.Confidence = appResponder(), true, diagnose.High
			}
			return
		}
		// The browser's findings were read as if a proxy answered; the
		// app's own answer, diagnosed without the proxy, replaces them.
		var seen []string
		var evidence []string
		var explains []string
		for _, c := range fromBrowser {
			for _, s := range c.SeenBy {
				if !slices.Contains(seen, s) {
					seen = append(seen, s)
				}
			}
			evidence = append(evidence, c.ProbeEvidence...)
			explains = append(explains, c.ID)
		}
		a.causes = slices.DeleteFunc(a.causes, func(c *Cause) bool { return slices.Contains(fromBrowser, c) })
		for _, f := range dr.Findings {
			if f.Severity != diagnose.Error {
				continue
			}
			f = a.appRefused(f)
			f.Detail = note + f.Detail
			f.Responder, f.Confidence = appResponder(), diagnose.High
			c := &Cause{Finding: f, Decisive: true, SeenBy: []string{ProbeDirect}, ProbeEvidence: []string{line}}
			for _, s := range seen {
				a.support(c, s, "")
			}
			for _, e := range evidence {
				a.support(c, ProbeBrowser, e)
			}
			for _, id := range explains {
				if id != f.ID && !slices.Contains(c.Explains, id) {
					c.Explains = append(c.Explains, id)
				}
			}
			a.causes = append(a.causes, c)
		}
	}
}

// appRefused rewrites a finding that says the handshake never reached
// the app: the request sent straight to it carried the Upgrade headers, so
// the app saw the handshake and refused it for a reason of its own.
func (a *analyzer) appRefused(f diagnose.Finding) diagnose.Finding {
	proxyBlamed := func(id string) bool { return id == "upgrade-rejected" || id == "missing-upgrade-headers" }
	if !proxyBlamed(f.ID) {
		// The diagnosis may still offer "a proxy dropped the headers" as
		// the alternative reading; the request that went straight to the
		// app rules it out.
		f.Alternatives = slices.DeleteFunc(slices.Clone(f.Alternatives), func(alt diagnose.Alternative) bool { return proxyBlamed(alt.ID) })
		return f
	}
	g := diagnose.Finding{ID: "upgrade-refused", Severity: diagnose.Error,
		Title:  "The app refused the upgrade although the handshake reached it intact",
		Detail: f.Detail + ". The request sent straight to the app carried Upgrade: websocket and Connection: Upgrade, so no proxy dropped them.",
		Fix:    a.fix("upgrade-refused", "", ""),
		Alternatives: []diagnose.Alternative{{ID: "origin-rejected",
			Title: "the app refuses this Origin (ActionCable answers a refused origin with the same 404 as a missing Upgrade)",
			Fix:   "allow the page's origin in the app, or send it with --origin"}},
		Check: "run again with --origin set to the page's exact origin (scheme://host[:port]) as the browser shows it: a 101 then means the origin was the reason; otherwise check the path and the app's log"}
	return g
}

// plainGet applies rule 4.
func (a *analyzer) plainGet(br *probe.Report) {
	g := a.res.http[ProbePlainGet]
	if g == nil || !g.Hung || br.Status == 0 {
		return
	}
	dg := a.res.http[ProbeDirectGet]
	if dg != nil && dg.Hung {
		return // the app itself does not answer a plain GET here: nothing forces it
	}
	answered := fmt.Sprintf("%d", br.Status)
	if br.Response != nil {
		answered = br.Response.StartLine
	}
	f := diagnose.Finding{ID: "connection-upgrade-forced", Severity: diagnose.Error,
		Title: "Ordinary requests hang on this path: the proxy sends Connection: upgrade on every request",
		Detail: fmt.Sprintf("GET %s got no response within %s, while the WebSocket upgrade of the same path was answered (%s) in %.0f ms. "+
			"A proxy that hard-codes Connection: upgrade turns every plain request into an upgrade request; the app waits for a protocol switch that never comes.",
			g.URL, fmtMS(g.TimeoutMS), answered, br.TimingsMS.Total),
		Fix: a.fix("connection-upgrade-forced", "upgrade-forced", connectionUpgradeFix)}
	c := a.add(f, ProbePlainGet, ProbePlainGet+": "+a.httpLine(g))
	if dg != nil && dg.Status != 0 {
		a.support(c, ProbeDirectGet, ProbeDirectGet+": "+a.httpLine(dg)+" — the app answers the same GET at once")
		c.Responder, c.Decisive, c.Confidence = a.proxyResponder(), true, diagnose.High
	}
}

const connectionUpgradeFix = "Send Connection: upgrade only when the client asked for an upgrade.\n" +
	"nginx — in the http block:\n" +
	"    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n" +
	"and in the location, instead of proxy_set_header Connection \"upgrade\";\n" +
	"    proxy_set_header Connection $connection_upgrade;\n" +
	"Apache — drop RequestHeader set Connection \"upgrade\" and use ProxyPass … upgrade=websocket (2.4.47+).\n" +
	"HAProxy — drop http-request set-header Connection upgrade; HAProxy forwards upgrades by itself."

// rank applies rule 5.
func (a *analyzer) rank() {
	sort.SliceStable(a.causes, func(i, j int) bool {
		ci, cj := a.causes[i], a.causes[j]
		if si, sj := sevRank(ci.Severity), sevRank(cj.Severity); si != sj {
			return si > sj
		}
		if ci.Decisive != cj.Decisive {
			return ci.Decisive
		}
		return len(ci.SeenBy) > len(cj.SeenBy)
	})
}

func sevRank(s diagnose.Severity) int {
	switch s {
	case diagnose.Error:
		return 3
	case diagnose.Warn:
		return 2
	case diagnose.Info:
		return 1
	}
	return 0
}

func upgraded(r *probe.Report) bool { return r != nil && r.Upgraded }

func refusedAnswer(r *probe.Report) bool { return r != nil && !r.Upgraded && r.Status != 0 }

// brokenAfterUpgrade: upgraded, then the framing broke (what a mangled
// permessage-deflate does).
func brokenAfterUpgrade(r *probe.Report) bool {
	return r != nil && r.Upgraded && r.Close != nil && (r.Close.Cause == "protocol error" || slices.ContainsFunc(r.Findings, func(f diagnose.Finding) bool { return f.ID == "protocol-error" }))
}

// withConnectionFailure is the report's findings, plus a connection-failed
// finding when the probe failed and the diagnosis had nothing to say.
func withConnectionFailure(r *probe.Report) []diagnose.Finding {
	if r == nil {
		return nil
	}
	if r.Error == "" || len(r.Findings) > 0 || r.Upgraded {
		return r.Findings
	}
	fix := r.Hint
	if fix == "" {
		fix = "Check the host, the port and the network path (firewall, DNS, proxy settings)."
	}
	return []diagnose.Finding{{ID: "connection-failed", Severity: diagnose.Error, Title: "No WebSocket handshake: " + firstSentence(r.Error), Detail: r.Error, Fix: fix}}
}

func firstSentence(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		return s[:i]
	}
	return s
}

func ids(fs []diagnose.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// protocolCheck reads the application protocol's first exchange from the
// browser probe: ActionCable's welcome, Engine.IO's open and first ping.
func protocolCheck(br *probe.Report, wait string) *Check {
	has := func(label string) (bool, float64) {
		for _, f := range br.Frames {
			if f.Dir == "recv" && (f.Label == label || strings.HasPrefix(f.Label, label+" ")) {
				return true, f.OffsetMS
			}
		}
		return false, 0
	}
	switch protocol.Name(br.Protocol) {
	case protocol.ActionCable:
		c := &Check{Probe: ProbeProtocol, What: "ActionCable's first exchange: the welcome message"}
		if ok, at := has("cable:welcome"); ok {
			c.Passed, c.Result = true, fmt.Sprintf("welcome %.0f ms after the upgrade", at)
		} else if first := firstReceived(br); first != nil {
			c.Result = "the first message was " + describeFrame(first) + ", not the welcome"
		} else {
			c.Result = "no welcome within " + wait
		}
		return c
	case protocol.SocketIO:
		c := &Check{Probe: ProbeProtocol, What: "Engine.IO's first exchange: the open packet and the first ping"}
		open, at := has("sio:open")
		ping, pat := has("sio:ping")
		switch {
		case open && ping:
			c.Passed, c.Result = true, fmt.Sprintf("open after %.0f ms, ping after %.0f ms", at, pat)
		case open:
			c.Result = fmt.Sprintf("open after %.0f ms, no ping within %s", at, wait)
		default:
			c.Result = "no open packet within " + wait
		}
		return c
	}
	return nil
}

func firstReceived(r *probe.Report) *probe.Frame {
	for i, f := range r.Frames {
		if f.Dir == "recv" && (f.Opcode == "text" || f.Opcode == "binary") {
			return &r.Frames[i]
		}
	}
	return nil
}

func describeFrame(f *probe.Frame) string {
	if f.Label != "" {
		return f.Label
	}
	if f.Text != nil {
		return fmt.Sprintf("%q", excerpt(*f.Text, 60))
	}
	return fmt.Sprintf("%d binary bytes", f.Size)
}

// cableWelcomeFirst: ActionCable sends the welcome before anything else
// (pings start once the connection is registered, after the welcome), so
// a first message that is not the welcome settles it without waiting for
// the tracker's 5 s.
func cableWelcomeFirst(br *probe.Report) []diagnose.Finding {
	if protocol.Name(br.Protocol) != protocol.ActionCable || !br.Upgraded ||
		slices.ContainsFunc(br.Findings, func(f diagnose.Finding) bool { return f.ID == "cable-no-welcome" }) {
		return nil
	}
	first := firstReceived(br)
	if first == nil || first.Label == "cable:welcome" {
		return nil
	}
	f := diagnose.Finding{ID: "cable-no-welcome", Severity: diagnose.Error, Title: "ActionCable never said welcome",
		Detail: "the first message after the upgrade was " + describeFrame(first) + ", not {\"type\":\"welcome\"}; ActionCable sends the welcome first"}
	if t, ok := diagnose.Default().Finding(f.ID); ok {
		f.Fix = t.GenericFix(diagnose.FixData{})
	}
	return []diagnose.Finding{f}
}

// httpVersions applies the HTTP-version contrast: browsers open
// WebSockets with an HTTP/2 extended CONNECT whenever the server
// advertises it and do not fall back, so a server can work over HTTP/1.1
// and fail for every browser. The HTTP/2 attempt is diagnosed again with
// the HTTP/1.1 answer as evidence (diagnose.Evidence.OtherHTTP), so a
// finding states the HTTP/1.1 half as a fact, not a guess.
func (a *analyzer) httpVersions(br *probe.Report) {
	h2Name, h1Name := ProbeHTTP2, ProbeBrowser
	h2, h1 := a.res.ws[ProbeHTTP2], br
	if h2 == nil {
		h2Name, h1Name = ProbeBrowser, ProbeHTTP11
		h2, h1 = br, a.res.ws[ProbeHTTP11]
	}
	if h2 == nil || h1 == nil || h2.UsageError() {
		return
	}
	ev := h2.Side.Evidence
	if len(ev.Chain) == 0 {
		return
	}
	if len(h1.Side.Evidence.Chain) > 0 {
		ev.OtherHTTP = h1.Side.Evidence.Chain[len(h1.Side.Evidence.Chain)-1]
	}
	for _, f := range diagnose.Diagnose(ev) {
		if !strings.HasPrefix(f.ID, "h2-") || a.folded[f.ID] {
			continue
		}
		if c := a.byID(f.ID); c != nil {
			c.Finding = f // the same reading, now with the other version's answer as proof
		}
		if f.Severity == diagnose.Error && !h2.Upgraded && h1.Upgraded {
			// Decided by the contrast: the same request, one HTTP version apart.
			a.decisive(f, h2Name, h1Name)
			continue
		}
		a.add(f, h2Name, h2Name+": "+a.probeLine(h2Name))
	}
}
