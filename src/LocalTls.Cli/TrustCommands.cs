using System.CommandLine;
using System.Text.Json;
using LocalTls.Pki;
using LocalTls.Trust;

namespace LocalTls.Cli;

/// <summary><c>localtls trust install|uninstall|status</c>: the root in the places browsers and tools look.</summary>
internal static class TrustCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var stores = new Option<string[]>("--store")
        {
            Description = $"A store (repeatable): {string.Join(", ", TrustStores.Names)}. Default: the stores present for this user.",
            AllowMultipleArgumentsPerToken = true,
            Recursive = true,
        };
        var caroot = new Option<string?>("--caroot")
        {
            Description = $"The CA store whose root is trusted. Default: ${CaStore.DirectoryVariable}, else the per-user data directory.",
            Recursive = true,
        };
        var home = new Option<string?>("--home")
        {
            Description = "The home directory whose stores are used (NSS databases, Firefox profiles, the per-user directory). Default: $HOME.",
            Recursive = true,
        };
        var trust = new Command("trust", "Trust the CA's root in the system store, NSS (Chromium, Firefox), Java, the macOS keychain, Windows, and print the lines for OpenSSL and Node.js.");
        trust.Options.Add(stores);
        trust.Options.Add(caroot);
        trust.Options.Add(home);
        trust.Subcommands.Add(Change("install", "Trust the root in each store; the system store and the macOS System keychain use sudo when not run as root, and say so.", install: true, stores, caroot, home, stdout, stderr));
        trust.Subcommands.Add(Change("uninstall", "Remove exactly what install added (the root under its own name) and nothing else.", install: false, stores, caroot, home, stdout, stderr));
        trust.Subcommands.Add(Status(stores, caroot, home, stdout, stderr));
        return trust;
    }

    private static Command Change(string name, string description, bool install, Option<string[]> stores, Option<string?> caroot, Option<string?> home, TextWriter stdout, TextWriter stderr)
    {
        var root = new Option<string?>("--root") { Description = "A root certificate (PEM) to use instead of the CA store's." };
        var command = new Command(name, description) { root };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            // Everything is checked before any store changes: the root, then the store names.
            var trusted = LoadRoot(parse.GetValue(root), parse.GetValue(caroot));
            var options = Options(parse.GetValue(home), stdout);
            var selected = TrustStores.Select(options, parse.GetValue(stores) ?? []);
            if (selected.Count == 0)
            {
                stderr.WriteLine("error: no trust store is present for this user. Name one with --store; 'localtls trust status --store S' says what it lacks.");
                return ExitCodes.Environment;
            }

            stdout.WriteLine($"{(install ? "Trusting" : "Removing trust in")} {trusted.CommonName} (SHA-256 {trusted.Fingerprint}, {trusted.Path}):");
            var failed = false;
            foreach (var store in selected)
            {
                try
                {
                    var done = install ? store.Install(trusted) : store.Uninstall(trusted);
                    foreach (var line in done)
                    {
                        stdout.WriteLine($"  {store.Name}: {line}");
                    }
                }
                catch (Exception e) when (e is TrustException or IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"error: {store.Name}: {e.Message}");
                    failed = true;
                }
            }

            return failed ? ExitCodes.Environment : ExitCodes.Success;
        }));
        return command;
    }

    private static Command Status(Option<string[]> stores, Option<string?> caroot, Option<string?> home, TextWriter stdout, TextWriter stderr)
    {
        var root = new Option<string?>("--root") { Description = "A root certificate (PEM) to look for instead of the CA store's." };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("status", "For each store: trusted, not trusted, store absent, or tool missing (with how to install it). Without --store, every store is listed, so an absent one says why it is not in the default set.") { root, format };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            var trusted = LoadRoot(parse.GetValue(root), parse.GetValue(caroot));
            var options = Options(parse.GetValue(home), stdout);
            var names = parse.GetValue(stores) ?? [];
            // Without --store, status shows every store, so an absent one says why it is not in the default set.
            var statuses = TrustStores.Select(options, names.Length == 0 ? TrustStores.Names.ToArray() : names).Select(s => s.Status(trusted)).ToList();
            if (parse.GetValue(format) == "json")
            {
                stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["root"] = trusted.Path,
                    ["fingerprint"] = trusted.Fingerprint,
                    ["stores"] = statuses.Select(s => new Dictionary<string, object?>
                    {
                        ["store"] = s.Store,
                        ["state"] = s.StateText,
                        ["detail"] = s.Detail,
                        ["hint"] = s.Hint,
                    }),
                }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                return ExitCodes.Success;
            }

            stdout.WriteLine($"{trusted.CommonName} (SHA-256 {trusted.Fingerprint}), {trusted.Path}");
            foreach (var s in statuses)
            {
                stdout.WriteLine($"  {s.Store,-9} {s.StateText,-12} {s.Detail}");
                if (s.Hint is not null && s.State != TrustState.StoreAbsent)
                {
                    stdout.WriteLine($"  {"",-9} {"",-12} {s.Hint}");
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static TrustedRoot LoadRoot(string? root, string? caroot)
    {
        if (root is not null)
        {
            return TrustedRoot.Load(root);
        }

        var store = new CaStore(caroot);
        if (!File.Exists(store.RootCertificatePath))
        {
            throw new PkiException($"No CA in {store.Directory}. Create one with 'localtls ca init', set {CaStore.DirectoryVariable} to the directory that has one, or give a root with --root FILE.");
        }

        return TrustedRoot.Load(store.RootCertificatePath);
    }

    private static TrustOptions Options(string? home, TextWriter stdout) =>
        home is null
            ? new TrustOptions { Progress = stdout.WriteLine }
            : new TrustOptions { Home = Path.GetFullPath(home), Progress = stdout.WriteLine };
}
