namespace LocalTls.Sslip;

/// <summary>Checks for sslip.io host names, used by the builder extensions (and so by <c>localtls manifests</c>).</summary>
internal static class SslipRules
{
    /// <summary>The labels before the address (e.g. <c>app</c>), lower-cased.</summary>
    /// <exception cref="ArgumentException">The prefix cannot start an sslip.io name; the message says why.</exception>
    public static string RequirePrefix(string? prefix, string? paramName)
    {
        if (!SslipHostname.IsValidPrefix(prefix, out var error))
        {
            throw new ArgumentException($"'{prefix}' cannot start an sslip.io name: {error}", paramName);
        }

        return prefix!.ToLowerInvariant();
    }
}
