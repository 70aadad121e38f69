namespace LocalTls.Diagnostics;

/// <summary>What a diagnosis looks at: the whole cluster (doctor), or one CA, issuer or certificate (Diagnose).</summary>
internal sealed record DiagnosisScope
{
    /// <summary>Namespaces whose Certificates and Issuers are looked at; empty for all.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Only this step-ca (its Deployment and Service share the name), and the issuers that point at it.</summary>
    public (string Namespace, string Service)? StepCa { get; init; }

    /// <summary>Only this issuer: kind ClusterIssuer or Issuer, the namespace for an Issuer.</summary>
    public (string Kind, string? Namespace, string Name)? Issuer { get; init; }

    /// <summary>Only this Certificate (and its issuer's readiness).</summary>
    public (string Namespace, string Name)? Certificate { get; init; }

    public bool IsWholeCluster => StepCa is null && Issuer is null && Certificate is null;

    public static DiagnosisScope Cluster(IReadOnlyList<string>? namespaces = null) => new() { Namespaces = namespaces ?? [] };

    public bool Includes(string? ns) => ns is null || Namespaces.Count == 0 || Namespaces.Contains(ns, StringComparer.Ordinal);
}
