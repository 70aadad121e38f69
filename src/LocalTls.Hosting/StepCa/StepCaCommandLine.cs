namespace LocalTls.StepCa;

/// <summary>The command line step-ca is started with for a layout.</summary>
internal static class StepCaCommandLine
{
    /// <summary>
    /// The arguments after the <c>step-ca</c> executable: <c>--password-file {secrets/password}</c> when the
    /// intermediate key is encrypted, <c>--resolver {host:port}</c> when a DNS resolver is given, and the
    /// <c>ca.json</c> path last. The flags must come first: step-ca 0.19.0 (urfave/cli v1) stops reading flags at
    /// the first positional argument and fails with "too many positional arguments".
    /// </summary>
    /// <param name="layout">Where the files are, as step-ca sees them.</param>
    /// <param name="passwordFile">Whether the intermediate key is encrypted and <see cref="StepCaLayout.PasswordPath"/> holds its password.</param>
    /// <param name="resolver">A DNS server step-ca resolves ACME challenge names with, as <c>host:port</c> (e.g. <c>127.0.0.1:5353</c>); <see langword="null"/> for the system's.</param>
    /// <exception cref="ArgumentException">The resolver is not <c>host:port</c>.</exception>
    public static IReadOnlyList<string> Arguments(StepCaLayout layout, bool passwordFile = false, string? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var args = new List<string>();
        if (passwordFile)
        {
            args.Add("--password-file");
            args.Add(layout.PasswordPath);
        }

        if (resolver is not null)
        {
            if (!StepCaOptionsValidator.TryParseAddress(resolver, out var host, out _, out var problem) || host.Length == 0)
            {
                throw new ArgumentException($"The resolver '{resolver}' {problem ?? "has no host"}: write the DNS server as host:port, e.g. '127.0.0.1:5353' or '[::1]:53'.", nameof(resolver));
            }

            args.Add("--resolver");
            args.Add(resolver);
        }

        args.Add(layout.CaConfigPath);
        return args;
    }
}
