package password

// maxSimilarity is UserAttributeSimilarityValidator's default.
const maxSimilarity = 0.7

// similarityProblem is Django's UserAttributeSimilarityValidator: password,
// lowercased, is compared with each attribute, lowercased, and with each
// part of it split on non-word characters (so "alice" and "example" of
// "alice@example.com" count as well as the whole address). The first
// attribute found too similar gives the message, named by the User model's
// verbose_name of the field.
func similarityProblem(password string, user Attributes) string {
	pw := []rune(pyLower(password))
	for _, attr := range []struct{ value, verboseName string }{
		{user.Username, "username"},
		{user.FirstName, "first name"},
		{user.LastName, "last name"},
		{user.Email, "email address"},
	} {
		if attr.value == "" {
			continue
		}
		value := pyLower(attr.value)
		for _, part := range append(pySplitNonWord(value), value) {
			p := []rune(part)
			if exceedsMaximumLengthRatio(len(pw), len(p)) {
				continue
			}
			if quickRatio(pw, p) >= maxSimilarity {
				return "The password is too similar to the " + attr.verboseName + "."
			}
		}
	}
	return ""
}

// exceedsMaximumLengthRatio is Django's shortcut for a value so much
// shorter than the password that quick_ratio could not reach
// maxSimilarity: it skips the comparison. The float expression is Python's,
// operation for operation, so that the edges fall alike.
func exceedsMaximumLengthRatio(passwordLen, valueLen int) bool {
	lengthBoundSimilarity := maxSimilarity / 2 * float64(passwordLen)
	return passwordLen >= 10*valueLen && float64(valueLen) < lengthBoundSimilarity
}

// quickRatio is Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio():
// twice the number of characters the two share, counted with multiplicity
// and in any order, over their total length; 1 when both are empty.
//
// Django compares with quick_ratio alone, never with ratio(), so the rest of
// SequenceMatcher need not be ported: its junk handling, autojunk included
// (which only affects sequences b of 200 elements or more anyway), feeds
// find_longest_match and thus ratio(), while quick_ratio counts b's
// characters directly (fullbcount) and ignores junk.
func quickRatio(a, b []rune) float64 {
	available := make(map[rune]int, len(b))
	for _, r := range b {
		available[r]++
	}
	matches := 0
	for _, r := range a {
		if available[r] > 0 {
			matches++
		}
		available[r]--
	}
	return calculateRatio(matches, len(a)+len(b))
}

// calculateRatio is difflib's _calculate_ratio.
func calculateRatio(matches, length int) float64 {
	if length == 0 {
		return 1
	}
	return 2.0 * float64(matches) / float64(length)
}
