namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>"Did you mean …?" for unknown field and key names.</summary>
internal static class Spelling
{
    /// <summary>The known name closest to a misspelt one, if one is close: same letters ignoring case, or a small edit distance.</summary>
    public static string? Nearest(string name, IEnumerable<string> known)
    {
        var best = known
            .Select(k => (Name: k, Distance: string.Equals(k, name, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(name, k)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Clamp(name.Length / 3, 1, 2) ? best.Name : null;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
