package password

import (
	"strconv"
	"unicode/utf8"
)

// minLength is MinimumLengthValidator's default min_length.
const minLength = 8

// Attributes are the fields of a user that a password must not resemble,
// those Django's UserAttributeSimilarityValidator reads by default. Empty
// fields are ignored.
type Attributes struct {
	Username, FirstName, LastName, Email string
}

// Validate applies Django's default AUTH_PASSWORD_VALIDATORS, in the order
// of Django's project template, and returns one message per rule that
// password breaks, in Django's (English) wording; none when it is
// acceptable:
//
//   - UserAttributeSimilarityValidator: not too similar to the username,
//     first name, last name or email address;
//   - MinimumLengthValidator: at least 8 characters (code points);
//   - CommonPasswordValidator: not in Django's list of 20,000 common
//     passwords, ignoring case and surrounding white space;
//   - NumericPasswordValidator: not entirely numeric.
//
// The rules follow Django 3.2's code, which Django 5.2 keeps unchanged.
func Validate(password string, user Attributes) []string {
	var problems []string
	for _, problem := range []string{
		similarityProblem(password, user),
		lengthProblem(password),
		commonProblem(password),
		numericProblem(password),
	} {
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	return problems
}

// lengthProblem is MinimumLengthValidator. Python's len counts code points.
func lengthProblem(password string) string {
	if utf8.RuneCountInString(password) >= minLength {
		return ""
	}
	return "This password is too short. It must contain at least " + strconv.Itoa(minLength) + " characters."
}

// commonProblem is CommonPasswordValidator.
func commonProblem(password string) string {
	if _, common := commonPasswords()[pyStrip(pyLower(password))]; !common {
		return ""
	}
	return "This password is too common."
}

// numericProblem is NumericPasswordValidator.
func numericProblem(password string) string {
	if !pyIsDigits(password) {
		return ""
	}
	return "This password is entirely numeric."
}
