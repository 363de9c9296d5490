package process

import (
	"strconv"
	"strings"
)

// Mermaid renders p as a Mermaid flowchart: phases as subgraphs,
// activities as nodes shaped by type (automated: rectangle, manual:
// parallelogram, approval: rhombus, subprocess: subroutine), activity
// dependencies as arrows between activities and phase dependencies as
// arrows between subgraphs. Conditional phases and activities show their
// condition. p need not be valid: unknown references are left out.
func Mermaid(p *Process) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	phaseIDs := map[PhaseID]string{}
	for i, ph := range p.Phases {
		phaseIDs[ph.ID] = "p" + strconv.Itoa(i)
		for j, a := range ph.Activities {
			ids[string(ph.ID)+"."+string(a.ID)] = "p" + strconv.Itoa(i) + "a" + strconv.Itoa(j)
		}
	}
	for i, ph := range p.Phases {
		title := label(ph.Name, string(ph.ID))
		if ph.If != "" {
			title += " · if " + ph.If
		}
		b.WriteString("  subgraph " + phaseIDs[ph.ID] + "[\"" + escape(title) + "\"]\n")
		for j, a := range ph.Activities {
			id := "p" + strconv.Itoa(i) + "a" + strconv.Itoa(j)
			text := label(a.Name, string(a.ID))
			switch a.EffectiveType() {
			case Automated:
				if a.Uses != "" {
					text += "<br/><i>" + a.Uses + "</i>"
				}
			case Subprocess:
				text += "<br/><i>process " + string(a.Process) + "</i>"
			}
			if a.If != "" {
				text += "<br/>if " + a.If
			}
			open, closeShape := shape(a.EffectiveType())
			b.WriteString("    " + id + open + "\"" + escape(text) + "\"" + closeShape + ":::" + string(a.EffectiveType()) + "\n")
		}
		b.WriteString("  end\n")
	}
	for _, ph := range p.Phases {
		for _, dep := range ph.DependsOn {
			if from, ok := phaseIDs[dep]; ok {
				b.WriteString("  " + from + " --> " + phaseIDs[ph.ID] + "\n")
			}
		}
	}
	for _, ph := range p.Phases {
		for _, a := range ph.Activities {
			to := ids[string(ph.ID)+"."+string(a.ID)]
			for _, dep := range a.DependsOn {
				key := dep
				if !strings.Contains(dep, ".") {
					key = string(ph.ID) + "." + dep
				}
				if from, ok := ids[key]; ok {
					b.WriteString("  " + from + " --> " + to + "\n")
				}
			}
		}
	}
	b.WriteString("  classDef automated fill:#e8f0fe,stroke:#4a6fa5\n")
	b.WriteString("  classDef manual fill:#fff4e0,stroke:#b7791f\n")
	b.WriteString("  classDef approval fill:#fde8e8,stroke:#c53030\n")
	b.WriteString("  classDef subprocess fill:#e6fffa,stroke:#2c7a7b\n")
	return b.String()
}

func label(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func shape(t ActivityType) (string, string) {
	switch t {
	case Manual:
		return "[/", "/]"
	case Approval:
		return "{", "}"
	case Subprocess:
		return "[[", "]]"
	}
	return "[", "]"
}

// escape makes text safe inside a quoted Mermaid label.
func escape(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", " ", "<", "#lt;", ">", "#gt;")
	// Keep the <br/> and <i> tags we add ourselves.
	out := r.Replace(s)
	out = strings.ReplaceAll(out, "#lt;br/#gt;", "<br/>")
	out = strings.ReplaceAll(out, "#lt;i#gt;", "<i>")
	out = strings.ReplaceAll(out, "#lt;/i#gt;", "</i>")
	return out
}
