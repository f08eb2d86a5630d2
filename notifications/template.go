package notifications

import (
	"bytes"
	htmltemplate "html/template"
	"reflect"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"github.com/billingd/billingd/billing"
)

// Template is an e-mail's source: the subject and the plain-text body are text/template,
// the HTML body html/template, all over Data.
type Template struct {
	Subject string
	HTML    string
	Text    string
}

// Compiled is a Template that parsed and names only fields that exist.
type Compiled struct {
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
}

// Message is a rendered e-mail.
type Message struct {
	Subject string
	HTML    string
	Text    string
}

var dataType = reflect.TypeFor[Data]()

// Compile parses and checks a template. A part that does not parse, names a field Data does
// not have (in any branch, taken or not) or fails to execute is a billing.FieldError naming
// the part: subject, html_body or text_body.
func Compile(t Template) (*Compiled, error) {
	c := &Compiled{}
	var err error
	if strings.TrimSpace(t.Subject) == "" {
		return nil, billing.Fieldf("subject", "required")
	}
	if c.subject, err = texttemplate.New("subject").Option("missingkey=error").Parse(t.Subject); err != nil {
		return nil, billing.Fieldf("subject", "%v", err)
	}
	if strings.TrimSpace(t.HTML) == "" {
		return nil, billing.Fieldf("html_body", "required")
	}
	if c.html, err = htmltemplate.New("html_body").Option("missingkey=error").Parse(t.HTML); err != nil {
		return nil, billing.Fieldf("html_body", "%v", err)
	}
	if strings.TrimSpace(t.Text) == "" {
		return nil, billing.Fieldf("text_body", "required")
	}
	if c.text, err = texttemplate.New("text_body").Option("missingkey=error").Parse(t.Text); err != nil {
		return nil, billing.Fieldf("text_body", "%v", err)
	}
	for _, part := range []struct {
		field string
		trees []*parse.Tree
	}{
		{"subject", textTrees(c.subject)},
		{"html_body", htmlTrees(c.html)},
		{"text_body", textTrees(c.text)},
	} {
		for _, tree := range part.trees {
			if tree == nil || tree.Root == nil {
				continue
			}
			if err := (checker{tree: tree}).list(tree.Root, dataType); err != nil {
				return nil, billing.Fieldf(part.field, "%v", err)
			}
		}
	}
	// Execute against every field set and against none: what the checker cannot see (a
	// function applied to the wrong type, say) fails here, at save time.
	for _, d := range []Data{sampleData(), {}} {
		if _, err := c.Render(d); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Render executes the template over d.
func (c *Compiled) Render(d Data) (Message, error) {
	var subject, html, text bytes.Buffer
	if err := c.subject.Execute(&subject, d); err != nil {
		return Message{}, billing.Fieldf("subject", "%v", err)
	}
	if err := c.html.Execute(&html, d); err != nil {
		return Message{}, billing.Fieldf("html_body", "%v", err)
	}
	if err := c.text.Execute(&text, d); err != nil {
		return Message{}, billing.Fieldf("text_body", "%v", err)
	}
	s := strings.Join(strings.Fields(subject.String()), " ")
	if s == "" {
		return Message{}, billing.Fieldf("subject", "renders empty")
	}
	return Message{Subject: s, HTML: html.String(), Text: text.String()}, nil
}

func textTrees(t *texttemplate.Template) []*parse.Tree {
	var out []*parse.Tree
	for _, x := range t.Templates() {
		out = append(out, x.Tree)
	}
	return out
}

func htmlTrees(t *htmltemplate.Template) []*parse.Tree {
	var out []*parse.Tree
	for _, x := range t.Templates() {
		out = append(out, x.Tree)
	}
	return out
}

// checker walks a parse tree and resolves every field against the type dot has there; a
// nil type means unknown (inside a range over a variable, say) and is not checked.
type checker struct {
	tree *parse.Tree
}

func (c checker) list(l *parse.ListNode, dot reflect.Type) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := c.node(n, dot); err != nil {
			return err
		}
	}
	return nil
}

func (c checker) node(n parse.Node, dot reflect.Type) error {
	switch n := n.(type) {
	case *parse.ActionNode:
		return c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		return c.branch(&n.BranchNode, dot, dot)
	case *parse.WithNode:
		return c.branch(&n.BranchNode, dot, c.pipeType(n.Pipe, dot))
	case *parse.RangeNode:
		var elem reflect.Type
		if t := c.pipeType(n.Pipe, dot); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			elem = t.Elem()
		}
		return c.branch(&n.BranchNode, dot, elem)
	case *parse.TemplateNode:
		return c.pipe(n.Pipe, dot)
	case *parse.ListNode:
		return c.list(n, dot)
	}
	return nil
}

func (c checker) branch(b *parse.BranchNode, dot, inner reflect.Type) error {
	if err := c.pipe(b.Pipe, dot); err != nil {
		return err
	}
	if err := c.list(b.List, inner); err != nil {
		return err
	}
	return c.list(b.ElseList, dot)
}

func (c checker) pipe(p *parse.PipeNode, dot reflect.Type) error {
	if p == nil {
		return nil
	}
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			if err := c.arg(arg, dot); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c checker) arg(n parse.Node, dot reflect.Type) error {
	switch n := n.(type) {
	case *parse.FieldNode:
		_, err := c.resolve(n, dot, n.Ident)
		return err
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			_, err := c.resolve(n, dataType, n.Ident[1:])
			return err
		}
	case *parse.ChainNode:
		return c.arg(n.Node, dot)
	case *parse.PipeNode:
		return c.pipe(n, dot)
	}
	return nil
}

// pipeType is the type a pipeline of one field (or dot, or $) evaluates to; nil otherwise.
func (c checker) pipeType(p *parse.PipeNode, dot reflect.Type) reflect.Type {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 || len(p.Decl) > 0 {
		return nil
	}
	switch n := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		t, _ := c.resolve(n, dot, n.Ident)
		return t
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			t, _ := c.resolve(n, dataType, n.Ident[1:])
			return t
		}
	}
	return nil
}

// resolve follows idents from t and returns the type reached; an ident that is neither a
// field nor a method is an error naming it and where it is.
func (c checker) resolve(n parse.Node, t reflect.Type, idents []string) (reflect.Type, error) {
	for _, id := range idents {
		if t == nil {
			return nil, nil
		}
		if m, ok := t.MethodByName(id); ok {
			if m.Type.NumOut() == 0 {
				return nil, nil
			}
			t = m.Type.Out(0)
			continue
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(id)
			if !ok || !f.IsExported() {
				loc, _ := c.tree.ErrorContext(n)
				return nil, &unknownField{where: loc, field: id, in: t.Name(), valid: fieldNames(t)}
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		case reflect.Interface:
			return nil, nil
		default:
			loc, _ := c.tree.ErrorContext(n)
			return nil, &unknownField{where: loc, field: id, in: t.String()}
		}
	}
	return t, nil
}

// unknownField is a template naming a field its data does not have.
type unknownField struct {
	where, field, in string
	valid            []string
}

func (e *unknownField) Error() string {
	msg := e.where + ": unknown field " + e.field + " in " + e.in
	if len(e.valid) > 0 {
		msg += " (fields: " + strings.Join(e.valid, ", ") + ")"
	}
	return msg
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out = append(out, f.Name)
		}
	}
	return out
}
