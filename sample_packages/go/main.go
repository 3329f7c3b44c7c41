// bootstrap: a Lambda function for the OS-only runtimes (provided.al2023), talking to the Lambda
// Runtime API directly (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
//
// The handler takes {"html": "...", "accept_language": "...", "password": "..."} and answers with
// the links of the HTML, the preferred languages and a bcrypt hash of the password.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"
	"golang.org/x/net/http2"
	"golang.org/x/text/language"
)

type event struct {
	HTML           string `json:"html"`
	AcceptLanguage string `json:"accept_language"`
	Password       string `json:"password"`
}

type answer struct {
	Links     []string `json:"links"`
	Languages []string `json:"languages"`
	Hash      string   `json:"hash,omitempty"`
}

func links(doc string) ([]string, error) {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out, nil
}

func handle(payload []byte) ([]byte, error) {
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var ans answer
	var err error
	if ans.Links, err = links(ev.HTML); err != nil {
		return nil, err
	}
	tags, _, err := language.ParseAcceptLanguage(ev.AcceptLanguage)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		ans.Languages = append(ans.Languages, t.String())
	}
	if ev.Password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(ev.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		ans.Hash = string(h)
	}
	return json.Marshal(ans)
}

func main() {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		fmt.Fprintln(os.Stderr, "AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda")
		os.Exit(1)
	}
	transport := &http.Transport{}
	if err := http2.ConfigureTransport(transport); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	client := &http.Client{Transport: transport}
	base := "http://" + api + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := client.Get(base + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out, err := handle(payload)
		url := base + id + "/response"
		if err != nil {
			url = base + id + "/error"
			out, _ = json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "HandlerError"})
		}
		r, err := client.Post(url, "application/json", bytes.NewReader(out))
		if err == nil {
			r.Body.Close()
		}
	}
}
