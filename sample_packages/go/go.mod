module example.com/go-function

go 1.19

require (
	golang.org/x/crypto v0.4.0
	golang.org/x/net v0.7.0
	golang.org/x/text v0.7.0
)

// The build info records this replacement ("=> golang.org/x/text v0.3.7"): see README.md.
replace golang.org/x/text => golang.org/x/text v0.3.7
