namespace LocalTls.Trust;

/// <summary>
/// Node.js reads extra roots only from <c>NODE_EXTRA_CA_CERTS</c>, which no program can set for the user's shell:
/// install and status print the line to add.
/// </summary>
internal sealed class NodeTrustStore(TrustOptions options) : TrustStore(options)
{
    public override string Name => "node";

    public override string Title => "Node.js (NODE_EXTRA_CA_CERTS)";

    public override bool IsPresent => Options.Find("node") is not null;

    public static string EnvironmentLine(TrustedRoot root) => $"export NODE_EXTRA_CA_CERTS=\"{root.Path}\"";

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        var current = Options.GetVariable("NODE_EXTRA_CA_CERTS");
        if (!string.IsNullOrWhiteSpace(current) && File.Exists(current) && root.IsIn(File.ReadAllText(current)))
        {
            return new TrustStoreStatus(Name, TrustState.Trusted, $"NODE_EXTRA_CA_CERTS={current}");
        }

        var detail = string.IsNullOrWhiteSpace(current) ? "NODE_EXTRA_CA_CERTS is not set." : $"NODE_EXTRA_CA_CERTS={current} does not hold the root.";
        return new TrustStoreStatus(Name, TrustState.NotTrusted, detail, $"Add to your shell profile: {EnvironmentLine(root)}");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root) =>
        Status(root).State == TrustState.Trusted
            ? ["NODE_EXTRA_CA_CERTS already holds the root."]
            : [$"Node.js reads extra roots from NODE_EXTRA_CA_CERTS only; add to your shell profile: {EnvironmentLine(root)}"];

    public override IReadOnlyList<string> Uninstall(TrustedRoot root) =>
        Status(root).State == TrustState.Trusted
            ? ["Remove the NODE_EXTRA_CA_CERTS line from your shell profile."]
            : [];
}
