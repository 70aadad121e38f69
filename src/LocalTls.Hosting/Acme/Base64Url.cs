namespace LocalTls.Acme;

/// <summary>base64url without padding (RFC 4648 §5, as JOSE and ACME use it).</summary>
internal static class Base64Url
{
    /// <summary>Encodes bytes as base64url without padding.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>Text of <c>A-Z a-z 0-9 - _</c> only.</returns>
    public static string Encode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes base64url, with or without padding.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="FormatException">The text is not base64url.</exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.AsSpan().IndexOfAny("+/") >= 0)
        {
            throw new FormatException($"'{text}' is not base64url: it holds '+' or '/' (standard base64).");
        }

        var s = text.TrimEnd('=').Replace('-', '+').Replace('_', '/');
        switch (s.Length % 4)
        {
            case 1:
                throw new FormatException($"'{text}' is not base64url: its length cannot be right.");
            case 2:
                s += "==";
                break;
            case 3:
                s += "=";
                break;
        }

        return Convert.FromBase64String(s);
    }
}
