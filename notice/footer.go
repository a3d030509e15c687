package notice

// notMeLink is one "Ce n'était pas moi" link of a message: the mandate it
// suspends, named by its structure when a message lists several.
type notMeLink struct {
	URL, Organisation string
}

// footer ends every message to a usager: the "Ce n'était pas moi" links of
// the mandates it is about (none once they are revoked), and the link that
// stops the messages (also sent as List-Unsubscribe).
type footer struct {
	NotMe       []notMeLink
	Unsubscribe string
}

func (n *Notices) footer(usagerID string, notMe []notMeLink) footer {
	return footer{NotMe: notMe, Unsubscribe: n.links.Unsubscribe(usagerID)}
}

const footerText = `{{with .NotMe}}
Ce n'était pas vous ? Si vous n'avez pas donné ce mandat ou si vous ne reconnaissez pas une connexion, suspendez le mandat : après votre identification avec FranceConnect, il est révoqué aussitôt, les connexions en cours cessent et la structure en est avertie.{{range .}}
Ce n'était pas moi{{if .Organisation}} ({{.Organisation}}){{end}} : {{.URL}}{{end}}
{{end}}
Pour ne plus recevoir de courriels de Procura : {{.Unsubscribe}}

Ce courriel est envoyé automatiquement : merci de ne pas y répondre.
`

const footerHTML = `{{with .NotMe}}<p><strong>Ce n'était pas vous ?</strong> Si vous n'avez pas donné ce mandat ou si vous ne reconnaissez pas une connexion, suspendez le mandat : après votre identification avec FranceConnect, il est révoqué aussitôt, les connexions en cours cessent et la structure en est avertie.</p>
<ul>{{range .}}
<li><a href="{{.URL}}">Ce n'était pas moi{{if .Organisation}} ({{.Organisation}}){{end}}</a></li>{{end}}
</ul>
{{end}}<p style="color: #666;"><a href="{{.Unsubscribe}}">Ne plus recevoir de courriels de Procura</a>. Ce courriel est envoyé automatiquement : merci de ne pas y répondre.</p>
`
