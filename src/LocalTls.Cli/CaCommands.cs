using System.CommandLine;
using System.Text.Json;
using LocalTls.Pki;

namespace LocalTls.Cli;

/// <summary><c>localtls ca init|show|import</c>.</summary>
internal static class CaCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var caroot = new Option<string?>("--caroot")
        {
            Description = $"The CA store directory. Default: ${CaStore.DirectoryVariable}, else the per-user data directory (~/.local/share/localtls on Linux).",
            Recursive = true,
        };
        var ca = new Command("ca", "Create, show and import the local development CA (root + intermediate), kept across runs like mkcert's CAROOT.");
        ca.Options.Add(caroot);
        ca.Subcommands.Add(Init(caroot, stdout, stderr));
        ca.Subcommands.Add(Show(caroot, stdout, stderr));
        ca.Subcommands.Add(Import(caroot, stdout, stderr));
        return ca;
    }

    private static Command Init(Option<string?> caroot, TextWriter stdout, TextWriter stderr)
    {
        var force = new Option<bool>("--force") { Description = "Replace an existing CA with a new one (clients must then trust the new root)." };
        var keyType = new Option<string>("--key-type") { Description = "Key algorithm: ecdsa (P-256) or rsa (3072).", DefaultValueFactory = _ => "ecdsa" };
        keyType.AcceptOnlyFromAmong("ecdsa", "rsa");
        var rootCn = new Option<string>("--root-cn") { Description = "The root's common name.", DefaultValueFactory = _ => new CaOptions().RootCommonName };
        var intermediateCn = new Option<string>("--intermediate-cn") { Description = "The intermediate's common name.", DefaultValueFactory = _ => new CaOptions().IntermediateCommonName };
        var noConstraints = new Option<bool>("--no-name-constraints") { Description = "Leave out the root's name constraints (then a leaked root could sign for any public site)." };
        var permitDns = new Option<string[]>("--permit-dns") { Description = $"A DNS domain the root may sign for (repeatable); replaces the default list: {string.Join(", ", CaOptions.DefaultPermittedDnsDomains)}.", AllowMultipleArgumentsPerToken = true };
        var permitIp = new Option<string[]>("--permit-ip") { Description = $"An IP range in CIDR form the root may sign for (repeatable); replaces the default list: {string.Join(", ", CaOptions.DefaultPermittedIpRanges)}.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("init", "Create the CA once; later runs reuse it. Prints the root's fingerprint and where it is.")
        {
            force, keyType, rootCn, intermediateCn, noConstraints, permitDns, permitIp,
        };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            var options = new CaOptions
            {
                KeyAlgorithm = parse.GetValue(keyType) == "rsa" ? CaKeyAlgorithm.Rsa3072 : CaKeyAlgorithm.EcdsaP256,
                RootCommonName = parse.GetValue(rootCn)!,
                IntermediateCommonName = parse.GetValue(intermediateCn)!,
                NameConstraints = !parse.GetValue(noConstraints),
            };
            if (parse.GetValue(permitDns) is { Length: > 0 } dns)
            {
                options.PermittedDnsDomains = dns;
                options.PermittedIpRanges = parse.GetValue(permitIp) ?? [];
            }
            else if (parse.GetValue(permitIp) is { Length: > 0 } ip)
            {
                options.PermittedIpRanges = ip;
            }

            var store = new CaStore(parse.GetValue(caroot));
            var existed = store.Exists;
            var material = store.LoadOrCreate(options, parse.GetValue(force));
            stdout.WriteLine(existed && !parse.GetValue(force)
                ? $"Using the existing CA in {store.Directory} (pass --force to replace it)."
                : $"Created a new CA in {store.Directory}.");
            WriteSummary(stdout, store, material);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show(Option<string?> caroot, TextWriter stdout, TextWriter stderr)
    {
        var format = new Option<string>("--format") { Description = "text, json, pem (the root certificate) or ca-bundle (base64 of the root PEM, for cert-manager's caBundle).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "pem", "ca-bundle");
        var command = new Command("show", "Show the CA: paths, subjects, expiry, root fingerprint.") { format };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            var store = new CaStore(parse.GetValue(caroot));
            var material = store.Load();
            switch (parse.GetValue(format))
            {
                case "pem":
                    stdout.Write(material.RootCertificatePem);
                    break;
                case "ca-bundle":
                    stdout.WriteLine(material.CaBundleBase64);
                    break;
                case "json":
                    stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["directory"] = store.Directory,
                        ["root"] = store.RootCertificatePath,
                        ["intermediate"] = store.IntermediateCertificatePath,
                        ["rootCommonName"] = material.RootCommonName,
                        ["intermediateCommonName"] = material.IntermediateCommonName,
                        ["rootNotAfter"] = material.RootNotAfter,
                        ["intermediateNotAfter"] = material.IntermediateNotAfter,
                        ["fingerprint"] = material.RootFingerprint,
                        ["hasRootKey"] = material.RootKeyPem is not null,
                        ["permitted"] = material.NameConstraints?.ToString(),
                    }, new JsonSerializerOptions { WriteIndented = true }));
                    break;
                default:
                    WriteSummary(stdout, store, material);
                    break;
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Import(Option<string?> caroot, TextWriter stdout, TextWriter stderr)
    {
        var root = new Option<string>("--root") { Description = "The root certificate (PEM).", Required = true };
        var rootKey = new Option<string?>("--root-key") { Description = "The root key (PEM). Needed only to sign a new intermediate." };
        var intermediate = new Option<string?>("--intermediate") { Description = "The intermediate certificate (PEM)." };
        var intermediateKey = new Option<string?>("--intermediate-key") { Description = "The intermediate key (PEM)." };
        var passwordFile = new Option<string?>("--password-file") { Description = "A file whose first line is the password of encrypted keys." };
        var force = new Option<bool>("--force") { Description = "Replace an existing, different CA." };
        var command = new Command("import", "Import an existing CA (e.g. made with 'step certificate create --profile root-ca'). Everything is checked before anything is written.")
        {
            root, rootKey, intermediate, intermediateKey, passwordFile, force,
        };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            string? Read(Option<string?> o) => parse.GetValue(o) is { } path ? LocalTlsCommand.ReadInput(path, o.Name) : null;
            var password = Read(passwordFile)?.Split('\n')[0].TrimEnd('\r');
            var store = new CaStore(parse.GetValue(caroot));
            var material = store.Import(
                LocalTlsCommand.ReadInput(parse.GetValue(root)!, root.Name), Read(rootKey), Read(intermediate), Read(intermediateKey),
                password, parse.GetValue(force));
            stdout.WriteLine($"Imported the CA into {store.Directory}.");
            WriteSummary(stdout, store, material);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void WriteSummary(TextWriter stdout, CaStore store, CaMaterial material)
    {
        stdout.WriteLine($"  root:          {store.RootCertificatePath}");
        stdout.WriteLine($"                 CN={material.RootCommonName}, valid until {material.RootNotAfter:yyyy-MM-dd}");
        stdout.WriteLine($"  intermediate:  {store.IntermediateCertificatePath}");
        stdout.WriteLine($"                 CN={material.IntermediateCommonName}, valid until {material.IntermediateNotAfter:yyyy-MM-dd}");
        stdout.WriteLine($"  root key:      {(material.RootKeyPem is null ? "not kept" : store.RootKeyPath)}");
        stdout.WriteLine($"  fingerprint:   {material.RootFingerprint}");
        stdout.WriteLine($"  permitted:     {material.NameConstraints?.ToString() ?? "anything (no name constraints)"}");
    }
}
