namespace LocalTls.Diagnostics;

/// <summary>How much a finding matters: errors and warnings need action, info does not.</summary>
internal enum FindingSeverity
{
    Error,
    Warning,
    Info,
}

/// <summary>The object a finding is about (a ClusterIssuer has no namespace).</summary>
internal sealed record FindingObject(string Kind, string? Namespace, string Name)
{
    public override string ToString() => Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}

/// <summary>
/// One thing Diagnose or <c>localtls doctor</c> found: a stable code, a severity, what it is about, the evidence
/// (conditions, events, log lines, as read from the cluster) and a remedy a person can act on.
/// </summary>
internal sealed record Finding(string Code, FindingSeverity Severity, FindingObject Object, string Summary, IReadOnlyList<string> Evidence, string Remedy)
{
    public bool NeedsAction => Severity is FindingSeverity.Error or FindingSeverity.Warning;

    /// <summary>The stable order of a report: severity, code, then the object.</summary>
    public static IReadOnlyList<Finding> Sort(IEnumerable<Finding> findings) =>
        [.. findings
            .DistinctBy(f => (f.Code, f.Object))
            .OrderBy(f => f.Severity)
            .ThenBy(f => f.Code, StringComparer.Ordinal)
            .ThenBy(f => f.Object.Kind, StringComparer.Ordinal)
            .ThenBy(f => f.Object.Namespace ?? "", StringComparer.Ordinal)
            .ThenBy(f => f.Object.Name, StringComparer.Ordinal)];
}

/// <summary>The codes of findings; documented in the README, stable across versions.</summary>
internal static class FindingCodes
{
    public const string CertManagerMissing = "cert-manager-missing";
    public const string CertManagerWebhookNotReady = "cert-manager-webhook-not-ready";
    public const string ClockSkew = "clock-skew";
    public const string StepCaCrashLooping = "step-ca-crash-looping";
    public const string StepCaUnreachable = "step-ca-unreachable";
    public const string IssuerCaBundleMismatch = "issuer-ca-bundle-mismatch";
    public const string IssuerNotReady = "issuer-not-ready";
    public const string IngressClassMissing = "ingress-class-missing";
    public const string CertificateFailing = "certificate-failing";
    public const string CertificateNotReady = "certificate-not-ready";
    public const string CertificateIssuing = "certificate-issuing";
    public const string CertificateNotYetValid = "certificate-not-yet-valid";
    public const string SolverIngressMissing = "solver-ingress-missing";
    public const string SolverIngressNoAddress = "solver-ingress-no-address";
    public const string CoreDnsOverrideMissing = "coredns-override-missing";
}
