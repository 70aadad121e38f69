using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// <c>labelSelector</c> (<c>=</c>, <c>==</c>, <c>!=</c>, <c>in</c>, <c>notin</c>, <c>key</c>, <c>!key</c>) and
/// <c>fieldSelector</c> (<c>metadata.name</c>, <c>metadata.namespace</c> with <c>=</c>, <c>==</c>, <c>!=</c>) of a list or watch.
/// </summary>
internal static partial class Selectors
{
    public static Func<JsonObject, bool> Parse(string? labelSelector, string? fieldSelector)
    {
        var labels = ParseLabels(labelSelector ?? "");
        var fields = ParseFields(fieldSelector ?? "");
        return obj =>
        {
            var objectLabels = obj["metadata"]?["labels"] as JsonObject;
            return labels.All(r => r(objectLabels)) && fields.All(f => f(obj));
        };
    }

    private static List<Func<JsonObject?, bool>> ParseLabels(string selector)
    {
        var requirements = new List<Func<JsonObject?, bool>>();
        foreach (var term in SplitTerms(selector))
        {
            var set = SetTerm().Match(term);
            if (set.Success)
            {
                var key = set.Groups["key"].Value;
                var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var notIn = set.Groups["op"].Value == "notin";
                requirements.Add(l => (Label(l, key) is { } v && values.Contains(v)) != notIn);
                continue;
            }

            var equality = EqualityTerm().Match(term);
            if (equality.Success)
            {
                var key = equality.Groups["key"].Value;
                var value = equality.Groups["value"].Value;
                var negate = equality.Groups["op"].Value == "!=";
                requirements.Add(l => (Label(l, key) == value) != negate);
                continue;
            }

            var exists = ExistsTerm().Match(term);
            if (exists.Success)
            {
                var key = exists.Groups["key"].Value;
                var negate = exists.Groups["not"].Success;
                requirements.Add(l => (Label(l, key) is not null) != negate);
                continue;
            }

            throw ApiError.BadRequest($"unable to parse requirement: found '{term}', expected: key, '!key', 'key=value', 'key in (a,b)'");
        }

        return requirements;
    }

    private static List<Func<JsonObject, bool>> ParseFields(string selector)
    {
        var requirements = new List<Func<JsonObject, bool>>();
        foreach (var term in SplitTerms(selector))
        {
            var match = EqualityTerm().Match(term);
            if (!match.Success)
            {
                throw ApiError.BadRequest($"invalid selector: '{selector}'; can't understand '{term}'");
            }

            var field = match.Groups["key"].Value;
            var value = match.Groups["value"].Value;
            var negate = match.Groups["op"].Value == "!=";
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw ApiError.BadRequest($"field label not supported: {field}");
            }

            var member = field["metadata.".Length..];
            requirements.Add(o => ((string?)o["metadata"]?[member] ?? "") == value != negate);
        }

        return requirements;
    }

    private static string? Label(JsonObject? labels, string key) => labels?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Terms are comma-separated, except inside the parentheses of <c>in (a,b)</c>.</summary>
    private static IEnumerable<string> SplitTerms(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= selector.Length; i++)
        {
            if (i == selector.Length || (selector[i] == ',' && depth == 0))
            {
                var term = selector[start..i].Trim();
                if (term.Length > 0)
                {
                    yield return term;
                }

                start = i + 1;
            }
            else if (selector[i] == '(')
            {
                depth++;
            }
            else if (selector[i] == ')')
            {
                depth--;
            }
        }
    }

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9_./-]+)\s+(?<op>in|notin)\s*\((?<values>[^)]*)\)$")]
    private static partial Regex SetTerm();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9_./-]+)\s*(?<op>==|=|!=)\s*(?<value>[A-Za-z0-9_.-]*)$")]
    private static partial Regex EqualityTerm();

    [GeneratedRegex(@"^(?<not>!)?\s*(?<key>[A-Za-z0-9_./-]+)$")]
    private static partial Regex ExistsTerm();
}
