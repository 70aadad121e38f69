using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Options for a step-ca that runs on this machine (not placed in a cluster).</summary>
public static class StepCaHostBuilderExtensions
{
    /// <summary>Runs this step-ca executable on this machine (default: <c>$LOCALTLS_STEP_CA</c>, else <c>step-ca</c> on PATH).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithExecutable("/usr/local/bin/step-ca");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithExecutable(this IResourceBuilder<StepCaResource> builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var full = Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));
        if (!File.Exists(full))
        {
            throw new ArgumentException($"'{full}' does not exist: give the path of a step-ca binary, or leave it out to use $LOCALTLS_STEP_CA or PATH.", nameof(path));
        }

        builder.Resource.ExecutablePath = full;
        return builder;
    }

    /// <summary>Listens on this loopback port (default: a free port chosen when the app starts).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithHostPort(9443);   // https://127.0.0.1:9443/acme/acme/directory
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithHostPort(this IResourceBuilder<StepCaResource> builder, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The port must be between 1 and 65535, e.g. 9443; leave it out to pick a free one.");
        }

        builder.Resource.HostPort = port;
        return builder;
    }

    /// <summary>Keeps step-ca's configuration and database here (default <c>{CA store}/step-ca/{name}</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithDataDirectory("./.localtls/step-ca");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithDataDirectory(this IResourceBuilder<StepCaResource> builder, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        builder.Resource.DataDirectory = Path.GetFullPath(directory);
        return builder;
    }

    /// <summary>
    /// Chooses the ACME challenge for a certificate issued on this machine: <c>dns-01</c> (the default: the CA's own
    /// DNS responder answers, no privileged port, wildcards work) or <c>http-01</c> (needs port 80).
    /// </summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("web-tls", host).WithIssuer(issuer).WithAcmeChallenge("http-01");
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithAcmeChallenge(this IResourceBuilder<CertificateResource> builder, string challenge)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (challenge is not (LocalTls.Acme.AcmeChallengeTypes.Http01 or LocalTls.Acme.AcmeChallengeTypes.Dns01))
        {
            throw new ArgumentException($"'{challenge}' is not a challenge issued on this machine: write \"dns-01\" (no port 80 needed, wildcards work) or \"http-01\" (step-ca then connects to port 80).", nameof(challenge));
        }

        if (challenge == LocalTls.Acme.AcmeChallengeTypes.Http01 && builder.Resource.DnsNames.Any(n => n.StartsWith("*.", StringComparison.Ordinal)))
        {
            throw new ArgumentException(LocalTls.CertManager.CertManagerRules.WildcardNeedsDns01, nameof(challenge));
        }

        builder.Resource.Challenge = challenge;
        return builder;
    }
}
