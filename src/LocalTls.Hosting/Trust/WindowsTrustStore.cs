using System.Security.Cryptography.X509Certificates;

namespace LocalTls.Trust;

/// <summary>
/// The Windows CurrentUser Root store, through <see cref="X509Store"/> (Windows asks the user to confirm). No admin
/// rights needed. <see cref="EquivalentCommand"/> is the same change as a command, for people who prefer to run it.
/// </summary>
internal sealed class WindowsTrustStore(TrustOptions options) : TrustStore(options)
{
    public override string Name => "windows";

    public override string Title => "Windows CurrentUser Root";

    public override bool IsPresent => Options.Platform == TrustPlatform.Windows && OperatingSystem.IsWindows();

    public static CommandLine EquivalentCommand(TrustedRoot root) => new("certutil", "-user", "-addstore", "Root", root.Path);

    public static CommandLine EquivalentUninstallCommand(TrustedRoot root) => new("certutil", "-user", "-delstore", "Root", root.Sha1);

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        if (!IsPresent)
        {
            return Absent("not a Windows machine.");
        }

        using var store = Open(OpenFlags.ReadOnly);
        return store.Certificates.Find(X509FindType.FindByThumbprint, root.Sha1, validOnly: false).Count > 0
            ? new TrustStoreStatus(Name, TrustState.Trusted, $"CurrentUser\\Root: {root.Sha1}")
            : new TrustStoreStatus(Name, TrustState.NotTrusted, $"CurrentUser\\Root: no certificate with thumbprint {root.Sha1}", $"Run 'localtls trust install --store windows' (or '{EquivalentCommand(root)}').");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        var status = Status(root);
        RequireUsable(status);
        if (status.State == TrustState.Trusted)
        {
            return ["CurrentUser\\Root: already trusted."];
        }

        Options.Progress("Windows asks to confirm adding a root certificate.");
        using var store = Open(OpenFlags.ReadWrite);
        using var certificate = X509CertificateLoader.LoadCertificate(root.Certificate.GetEncoded());
        store.Add(certificate);
        return [$"CurrentUser\\Root: added {root.Sha1}."];
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        if (Status(root).State != TrustState.Trusted)
        {
            return IsPresent ? ["CurrentUser\\Root: was not trusted."] : [];
        }

        using var store = Open(OpenFlags.ReadWrite);
        foreach (var certificate in store.Certificates.Find(X509FindType.FindByThumbprint, root.Sha1, validOnly: false))
        {
            store.Remove(certificate);
            certificate.Dispose();
        }

        return [$"CurrentUser\\Root: removed {root.Sha1}."];
    }

    private static X509Store Open(OpenFlags flags)
    {
        var store = new X509Store(StoreName.Root, StoreLocation.CurrentUser);
        store.Open(flags);
        return store;
    }
}
