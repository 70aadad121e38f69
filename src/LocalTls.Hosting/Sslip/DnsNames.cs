using System.Globalization;
using System.Text;

namespace LocalTls.Sslip;

/// <summary>Syntax helpers for DNS names (RFC 1035 / RFC 1123) shared by the sslip.io parser and DNS server.</summary>
internal static class DnsNames
{
    public const int MaxNameLength = 253;
    public const int MaxLabelLength = 63;

    /// <summary>Quotes user input for an error message, shortening very long values.</summary>
    public static string Quote(string value) =>
        value.Length <= 80 ? $"'{value}'" : $"'{value[..60]}...' ({value.Length} characters)";

    public static bool IsAsciiLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    public static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');

    public static bool IsDigit(char c) => c is >= '0' and <= '9';

    public static string AsciiLower(string value)
    {
        foreach (var c in value)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return string.Create(value.Length, value, static (span, source) =>
                {
                    for (var i = 0; i < source.Length; i++)
                    {
                        var ch = source[i];
                        span[i] = ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch;
                    }
                });
            }
        }

        return value;
    }

    /// <summary>Describes a character for an error message (control and non-ASCII characters by code point).</summary>
    public static string DescribeChar(char c) => c switch
    {
        ' ' => "a space",
        '\t' => "a tab",
        '\r' or '\n' => "a line break",
        _ when char.IsControl(c) || char.IsSurrogate(c) => string.Create(CultureInfo.InvariantCulture, $"U+{(int)c:X4}"),
        _ => $"'{c}'",
    };

    /// <summary>
    /// Lower-cases a DNS name and drops one trailing dot; error messages start with <paramref name="subject"/>
    /// (the quoted input by default). Returns an error when the name is empty, has an
    /// invalid character, an empty or over-long label, or is over-long. Hyphen placement is not checked here.
    /// </summary>
    public static string? TryNormalize(string? input, bool allowUnderscore, string example, out string normalized, string? subject = null)
    {
        normalized = "";
        if (string.IsNullOrEmpty(input))
        {
            return $"The DNS name is empty; write a name such as {example}";
        }

        var quoted = subject ?? Quote(input);
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (IsAsciiLetterOrDigit(c) || c is '-' or '.' || (allowUnderscore && c == '_'))
            {
                continue;
            }

            return $"{quoted} contains {DescribeChar(c)} at position {i + 1}, which is not allowed in a DNS name: use only letters, digits, hyphens{(allowUnderscore ? ", underscores" : "")} and dots, e.g. {example}";
        }

        var name = AsciiLower(input);
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        var error = CheckLengths(name, quoted, example);
        if (error is not null)
        {
            return error;
        }

        normalized = name;
        return null;
    }

    /// <summary>Checks total length and label lengths (non-empty, at most 63) of a normalized name.</summary>
    public static string? CheckLengths(string name, string quoted, string example)
    {
        if (name.Length > MaxNameLength)
        {
            return $"{quoted} is {name.Length} characters long, but a DNS name may have at most {MaxNameLength}; use fewer or shorter labels, e.g. {example}";
        }

        var start = 0;
        while (true)
        {
            var dot = name.IndexOf('.', start);
            var end = dot < 0 ? name.Length : dot;
            var length = end - start;
            if (length == 0)
            {
                return $"{quoted} has an empty label (a leading dot or two dots in a row); remove the extra dot, e.g. {example}";
            }

            if (length > MaxLabelLength)
            {
                return $"{quoted} has a label of {length} characters ('{name[start..Math.Min(end, start + 20)]}...'), but a DNS label may have at most {MaxLabelLength}; shorten or split it with dots, e.g. {example}";
            }

            if (dot < 0)
            {
                return null;
            }

            start = dot + 1;
        }
    }

    /// <summary>Checks that no label of <paramref name="name"/> starts or ends with a hyphen (RFC 1123).</summary>
    public static string? CheckHyphens(string name, string quoted, string example)
    {
        foreach (var label in name.Split('.'))
        {
            if (label.StartsWith('-') || label.EndsWith('-'))
            {
                var where = label.StartsWith('-') ? "starts" : "ends";
                var fixedLabel = label.Trim('-');
                var instead = fixedLabel.Length > 0 ? $"write '{fixedLabel}' instead" : "remove it";
                return $"{quoted}: the label '{label}' {where} with a hyphen, but DNS labels must start and end with a letter or digit; {instead}, e.g. {example}";
            }
        }

        return null;
    }

    /// <summary>RFC 5952 text of an IPv6 address (lower case, longest zero run as "::", no dotted IPv4 tail).</summary>
    public static string FormatIPv6(ReadOnlySpan<byte> bytes, char separator)
    {
        Span<int> groups = stackalloc int[8];
        for (var i = 0; i < 8; i++)
        {
            groups[i] = (bytes[2 * i] << 8) | bytes[(2 * i) + 1];
        }

        int bestStart = -1, bestLength = 0;
        for (var i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            var j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }

            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j;
        }

        if (bestLength < 2)
        {
            bestStart = -1;
        }

        var sb = new StringBuilder(40);
        for (var i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                sb.Append(separator).Append(separator);
                i += bestLength - 1;
                continue;
            }

            if (i > 0 && sb.Length > 0 && sb[^1] != separator)
            {
                sb.Append(separator);
            }

            sb.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>All eight IPv6 groups as four hex digits each, e.g. <c>2001-0db8-0000-...-0001</c>.</summary>
    public static string FormatIPv6Padded(ReadOnlySpan<byte> bytes, char separator)
    {
        var sb = new StringBuilder(39);
        for (var i = 0; i < 8; i++)
        {
            if (i > 0)
            {
                sb.Append(separator);
            }

            sb.Append(bytes[2 * i].ToString("x2", CultureInfo.InvariantCulture))
              .Append(bytes[(2 * i) + 1].ToString("x2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
