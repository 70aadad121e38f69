using Aspire.Hosting.ApplicationModel;
using System.Net.Mail;
using LocalTls.StepCa;

namespace LocalTls.CertManager;

/// <summary>Checks for issuers and certificates, used by the builder extensions (and so by <c>localtls manifests</c>).</summary>
internal static class CertManagerRules
{
    /// <summary>Why a wildcard name and http-01 do not go together.</summary>
    public const string WildcardNeedsDns01 = "A wildcard name can only be validated over dns-01: leave the challenge at \"dns-01\" or remove the wildcard.";

    /// <summary>Why a wildcard cannot go to a cluster issuer: it renders only the seed's HTTP-01 solver.</summary>
    public static string WildcardInCluster(string certificate, string name) =>
        $"The certificate '{certificate}' asks for '{name}', but a wildcard needs a DNS-01 solver and the issuers LocalTls renders for a cluster have only HTTP-01 (the seed's), so cert-manager could never issue it. Name each host instead (one AddSslipHostname per app), or issue the wildcard on this machine (a step-ca without InCluster, dns-01).";

    /// <summary>Whether an issuer is one that cert-manager runs (in a cluster, or a public ACME server).</summary>
    public static bool IsClusterIssuer(AcmeIssuerResource? issuer) => issuer is not null && issuer.Ca is not { Cluster: null };

    /// <summary>
    /// A certificate's <c>WithDuration</c> must lie within what the provisioner its issuer uses allows: step-ca refuses
    /// any other at finalize with a bare <c>serverInternal</c>, after the challenge passed, which tells nobody why.
    /// </summary>
    /// <returns>What to write instead, or <see langword="null"/> when the lifetime fits (or nothing is known yet).</returns>
    public static string? DurationOutsideClaims(CertificateResource certificate)
    {
        if (certificate.Duration is not { } duration || certificate.Issuer?.Ca is not { } ca)
        {
            return null;
        }

        var name = certificate.Issuer.ProvisionerName ?? ca.DefaultProvisionerName;
        // Without WithAcmeProvisioner the CA gets the default provisioner, with its default claims.
        var provisioner = ca.Provisioners.FirstOrDefault(p => p.Name == name) ?? new AcmeProvisionerOptions { Name = name };
        if (StepCaOptionsValidator.Lifetimes(ca.Claims, provisioner.Claims) is not var (min, max) || (duration >= min && duration <= max))
        {
            return null;
        }

        // Say where the bound that is in the way comes from: the provisioner's own claims win over the CA's.
        var provisionerSetsIt = duration > max ? provisioner.Claims?.MaxTlsCertDuration is not null : provisioner.Claims?.MinTlsCertDuration is not null;
        var bound = duration > max ? $"MaxTlsCertDuration = TimeSpan.FromDays({Math.Ceiling(duration.TotalDays)})" : $"MinTlsCertDuration = TimeSpan.FromMinutes({Math.Floor(duration.TotalMinutes)})";
        var widen = provisionerSetsIt
            ? $"its provisioner's claims: .WithAcmeProvisioner(\"{name}\", p => p.Claims = new() {{ {bound} }})"
            : duration > max ? "the CA's lifetimes: .WithCertificateLifetimes(max: ...)" : "the CA's lifetimes: .WithCertificateLifetimes(min: ...)";
        return $"The certificate '{certificate.Name}' asks for a lifetime of {StepCaConfig.FormatDuration(duration)}, but the provisioner '{name}' of the CA '{ca.Name}' allows {StepCaConfig.FormatDuration(min)} to {StepCaConfig.FormatDuration(max)}, and step-ca would refuse it only when the order is finalized. Ask for a lifetime in that range with WithDuration, or widen {widen}.";
    }

    /// <summary>Throws <see cref="ArgumentException"/> for every certificate of <paramref name="ca"/> whose lifetime its claims no longer allow.</summary>
    public static void RequireDurationsWithinClaims(IEnumerable<IResource> resources, StepCaResource ca, string? paramName)
    {
        foreach (var certificate in resources.OfType<CertificateResource>().Where(c => c.Issuer?.Ca == ca))
        {
            if (DurationOutsideClaims(certificate) is { } problem)
            {
                throw new ArgumentException(problem, paramName);
            }
        }
    }

    /// <summary>cert-manager's shortest certificate lifetime.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromHours(1);

    /// <summary>An ACME account e-mail address.</summary>
    /// <exception cref="ArgumentException">The text is not a plain e-mail address.</exception>
    public static string RequireEmail(string? email, string? paramName)
    {
        if (string.IsNullOrWhiteSpace(email) || !MailAddress.TryCreate(email, out var address) || address.Address != email || !email.Contains('.'))
        {
            throw new ArgumentException($"'{email}' is not an e-mail address: write e.g. \"admin@example.com\" (Let's Encrypt sends expiry notices there).", paramName);
        }

        return email;
    }

    /// <summary>A DNS name for a certificate (a leading <c>*.</c> allowed), lower-cased.</summary>
    /// <exception cref="ArgumentException">The text is not a DNS name.</exception>
    public static string RequireDnsName(string? dnsName, string? paramName)
    {
        var bare = dnsName?.StartsWith("*.", StringComparison.Ordinal) == true ? dnsName[2..] : dnsName;
        if (string.IsNullOrWhiteSpace(bare) || Uri.CheckHostName(bare) != UriHostNameType.Dns || bare.Contains('_'))
        {
            throw new ArgumentException($"'{dnsName}' is not a DNS name: write e.g. \"api.test\" or \"app.192.168.5.2.sslip.io\".", paramName);
        }

        return dnsName!.ToLowerInvariant();
    }

    /// <summary>A certificate lifetime: cert-manager's own rule is at least one hour.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is shorter than an hour.</exception>
    public static TimeSpan RequireDuration(TimeSpan duration, string? paramName) =>
        duration >= MinimumDuration
            ? duration
            : throw new ArgumentOutOfRangeException(paramName, $"cert-manager requires a duration of at least one hour; {StepCaConfig.FormatDuration(duration)} is shorter. Ask for e.g. 24h.");

    /// <summary>How long before expiry to renew: positive and strictly shorter than the lifetime.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static TimeSpan? RequireRenewBefore(TimeSpan? renewBefore, TimeSpan duration, string? paramName) =>
        renewBefore is not { } r || (r > TimeSpan.Zero && r < duration)
            ? renewBefore
            : throw new ArgumentOutOfRangeException(paramName, $"renewBefore must be positive and shorter than the duration ({StepCaConfig.FormatDuration(duration)}); {StepCaConfig.FormatDuration(r)} is not. E.g. a third of the duration.");
}
