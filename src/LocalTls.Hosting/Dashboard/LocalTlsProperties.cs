namespace LocalTls;

/// <summary>The names of the dashboard properties LocalTls resources show.</summary>
internal static class LocalTlsProperties
{
    public const string IngressClass = "localtls.ingressClass";
    public const string Namespace = "localtls.namespace";
    public const string AcmeDirectory = "localtls.acmeDirectory";
    public const string Image = "localtls.image";
    public const string Target = "localtls.target";
    public const string Server = "localtls.server";
    public const string IssuerKind = "localtls.issuerKind";
    public const string Hostname = "localtls.hostname";
    public const string DnsNames = "localtls.dnsNames";
    public const string SecretName = "localtls.secretName";
    public const string Issuer = "localtls.issuer";
    public const string Resolver = "localtls.resolver";
    public const string Fingerprint = "localtls.rootFingerprint";
    public const string RootCertificate = "localtls.rootCertificate";
    public const string Problem = "localtls.problem";
    public const string NotAfter = "localtls.notAfter";
    public const string RenewalTime = "localtls.renewalTime";
    public const string Serial = "localtls.serial";
    public const string Files = "localtls.files";
    public const string ProcessId = "localtls.pid";
    public const string Executable = "localtls.executable";
}
