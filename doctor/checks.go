package doctor

import (
	"fmt"
	"strings"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
)

// probeLine is a connection probe's evidence: what it sent, what it got.
func (a *analyzer) probeLine(name string) string {
	for _, p := range a.b.wsProbes {
		if p.name == name {
			line := p.desc + " → " + answerOf(a.res.ws[name])
			if name == ProbeDirect && a.res.directFallback {
				line = strings.Replace(line, "to ", "over plain ws:// to ", 1)
			}
			return line
		}
	}
	return "not run"
}

// httpLine is a plain GET's evidence.
func (a *analyzer) httpLine(g *HTTPResult) string {
	s := "GET " + g.URL
	if a.b.direct != "" && g.ConnectAddr != "" && !strings.Contains(g.URL, "//"+g.ConnectAddr+"/") {
		s += " (to " + g.ConnectAddr + ")"
	}
	s += " → "
	switch {
	case g.Status != 0:
		s += strings.TrimPrefix(g.StatusLine, "HTTP/1.1 ") + fmt.Sprintf(" in %.0f ms", g.ElapsedMS)
	case g.Hung:
		s += "no response within " + fmtMS(g.TimeoutMS) + " (the request was sent)"
	default:
		s += g.Error
	}
	return s
}

// httpResult is a plain GET's outcome without the request.
func (a *analyzer) httpResult(g *HTTPResult) string {
	_, res, _ := strings.Cut(a.httpLine(g), " → ")
	return res
}

// checks lists every probe in battery order, with the protocol's first
// exchange after the browser probe.
func (a *analyzer) checks(br *probe.Report) []Check {
	var out []Check
	for _, name := range a.b.order {
		if rep, ok := a.res.ws[name]; ok {
			c := Check{Probe: name, Report: rep, Result: answerOf(rep)}
			for _, p := range a.b.wsProbes {
				if p.name == name {
					c.What = p.what
				}
			}
			c.Passed = rep.Upgraded && !diagnose.HasError(rep.Findings)
			if name == ProbeDirect && a.res.directFallback {
				c.Result = "over plain ws:// (the app does not speak TLS): " + c.Result
			}
			if rep.Idle != nil {
				c.Passed = rep.Idle.Survived
				if rep.Idle.Survived {
					c.Result = fmt.Sprintf("still open after %s of silence", fmtMS(rep.Idle.RequestedMS))
				} else if rep.Upgraded {
					c.Result = fmt.Sprintf("closed after %s of silence", fmtMS(rep.Idle.ClosedAfterMS))
				}
			}
			if n := len(rep.Findings); n > 0 {
				c.Result += fmt.Sprintf(" [%s]", strings.Join(ids(rep.Findings), ", "))
			}
			out = append(out, c)
			if name == ProbeBrowser && rep.Upgraded {
				wait := fmtMS(float64(a.browserWait() / time.Millisecond))
				if pc := protocolCheck(rep, wait); pc != nil {
					out = append(out, *pc)
				}
			}
			continue
		}
		if g, ok := a.res.http[name]; ok {
			c := Check{Probe: name, HTTP: g, Passed: g.Status != 0, Result: a.httpResult(g)}
			for _, p := range a.b.httpProbes {
				if p.name == name {
					c.What = p.what
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func (a *analyzer) browserWait() time.Duration {
	for _, p := range a.b.wsProbes {
		if p.name == ProbeBrowser {
			return p.opts.Wait
		}
	}
	return DefaultWait
}
