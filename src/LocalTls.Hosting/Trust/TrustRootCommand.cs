using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;
using Microsoft.Extensions.DependencyInjection;

namespace LocalTls.Trust;

/// <summary>
/// The dashboard's <b>Trust root CA</b> command on a CA: trusts its root in the stores this user can change without
/// admin rights (NSS for Chromium and Firefox, the per-user OpenSSL directory, and the macOS login keychain or the
/// Windows CurrentUser store where they exist), and says the exact command for the stores that need admin rights.
/// </summary>
internal static class TrustRootCommand
{
    public const string Name = "localtls-trust-root";
    public const string ExportName = "localtls-export-root";

    private static readonly string[] UserStores = ["nss", "user", "keychain", "windows"];

    public static void Wire(IDistributedApplicationBuilder builder, StepCaResource ca) =>
        builder.CreateResourceBuilder(ca)
        .WithCommand(ExportName, "Export root CA", _ =>
        {
            var store = new CaStore(ca.CaStoreDirectory);
            if (!store.Exists)
            {
                return Task.FromResult(CommandResults.Failure("The CA is created when the app starts; try again once it runs."));
            }

            // The PEM itself, shown to copy, with where it lives and the seed's ways to hand it on.
            var material = store.Load();
            var text = $"{material.RootCertificatePem.TrimEnd()}\n\nFile: {store.RootCertificatePath}\nSHA-256 fingerprint: {material.RootFingerprint}\n" +
                $"cert-manager caBundle: localtls ca show --format ca-bundle\nAs a ConfigMap: kubectl -n cert-manager create configmap step-ca-bundle --from-file=ca.crt={store.RootCertificatePath}";
            return Task.FromResult(CommandResults.Success($"The root CA is {store.RootCertificatePath}.", new CommandResultData { Value = text, Format = CommandResultFormat.Text, DisplayImmediately = true }));
        }, new CommandOptions
        {
            Description = "Show the root CA's PEM, its file and fingerprint, and how to give it to cert-manager or a browser.",
            IconName = "ArrowExport",
            UpdateState = _ => ResourceCommandState.Enabled,
        })
        .WithCommand(Name, "Trust root CA", context =>
        {
            var store = new CaStore(ca.CaStoreDirectory);
            if (!store.Exists)
            {
                return Task.FromResult(CommandResults.Failure("The CA is created when the app starts; try again once it runs."));
            }

            var options = context.Services.GetService<TrustOptions>() ?? new TrustOptions();
            var root = TrustedRoot.Load(store.RootCertificatePath);
            var done = new List<string>();
            var problems = new List<string>();
            foreach (var trustStore in TrustStores.All(options).Where(s => UserStores.Contains(s.Name) && s.IsPresent))
            {
                try
                {
                    done.AddRange(trustStore.Install(root));
                }
                catch (TrustException ex)
                {
                    problems.Add(ex.Message);
                }
            }

            var admin = $"For the system store (curl, .NET, other tools; needs admin rights) run: sudo localtls trust install --store system --root {root.Path}";
            return Task.FromResult(problems.Count == 0 && done.Count > 0
                ? CommandResults.Success(string.Join(" ", done.Append(admin)))
                : CommandResults.Failure(string.Join(" ", problems.DefaultIfEmpty("No user-level trust store was found for this user (no browser profile).").Append(admin))));
        }, new CommandOptions
        {
            Description = "Trust this CA's root in this user's browsers (NSS: Chromium, Firefox) and per-user stores; the system store needs 'sudo localtls trust install --store system'.",
            IconName = "ShieldCheckmark",
            IsHighlighted = false,
            UpdateState = _ => ResourceCommandState.Enabled,
        });
}
