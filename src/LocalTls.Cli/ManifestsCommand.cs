using System.CommandLine;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Cluster;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace LocalTls.Cli;

/// <summary>
/// <c>localtls manifests</c>: the publish step's output without an AppHost. The options build the model an AppHost
/// would (a k3s cluster, step-ca in it, its ACME ClusterIssuer, optionally Let's Encrypt, and one Certificate) through
/// the same builder extensions, on an app builder that is never built or run, and <see cref="ClusterManifests"/> renders it.
/// </summary>
internal static class ManifestsCommand
{
    public const string ManifestsFile = "manifests.yaml";
    public const string ValuesFile = "step-certificates-values.yaml";

    /// <summary>Loopback, private, shared and link-local ranges: what a default local CA permits, and what Let's Encrypt cannot reach.</summary>
    private static readonly NameConstraintSet NonPublic = new([], CaOptions.DefaultPermittedIpRanges);

    /// <summary>
    /// The app builder reads no appsettings.json from the current folder (the tool's own folder has none) and watches no
    /// files: without these, a broken appsettings.json where the command runs fails it, and a run from $HOME watches every folder under it.
    /// </summary>
    private static readonly string[] AppBuilderArgs = [$"--contentRoot={AppContext.BaseDirectory}", "--hostBuilder:reloadConfigOnChange=false"];

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out") { Description = $"The folder to write {ManifestsFile} (and, for local, {ValuesFile}) into; files already there are replaced.", Required = true, HelpName = "DIR" };
        var environment = new Option<string>("--environment")
        {
            Description = "local: step-ca in the cluster, its ACME ClusterIssuer, and the Certificate issued by it. " +
                "production: no step-ca; the Certificate is issued by Let's Encrypt (needs --letsencrypt-email).",
            DefaultValueFactory = _ => "local",
        };
        environment.AcceptOnlyFromAmong("local", "production");
        var caroot = new Option<string?>("--caroot")
        {
            Description = $"The CA store directory. Default: ${CaStore.DirectoryVariable}, else the per-user data directory (~/.local/share/localtls on Linux). A CA is created there if there is none, as 'localtls ca init' does. Not used for production.",
            HelpName = "DIR",
        };
        var ns = new Option<string>("--namespace") { Description = "The namespace step-ca runs in.", DefaultValueFactory = _ => StepCaResource.DefaultNamespace, HelpName = "NAME" };
        var service = new Option<string>("--service") { Description = "step-ca's Service (and Deployment) name; the ACME URL is https://{service}.{namespace}.svc.cluster.local:{port}.", DefaultValueFactory = _ => "step-ca", HelpName = "NAME" };
        var port = new Option<int>("--port") { Description = "The port step-ca and its Service listen on.", DefaultValueFactory = _ => StepCaResource.DefaultPort };
        var image = new Option<string>("--image") { Description = "step-ca's container image, without tag.", DefaultValueFactory = _ => StepCaResource.DefaultImage };
        var tag = new Option<string>("--tag") { Description = "The image tag.", DefaultValueFactory = _ => StepCaResource.DefaultImageTag };
        var storageClass = new Option<string?>("--storage-class") { Description = "The StorageClass of step-ca's database volume. Default: the cluster's default (k3s: local-path).", HelpName = "NAME" };
        var size = new Option<string>("--size") { Description = "The size of step-ca's database volume, a Kubernetes quantity.", DefaultValueFactory = _ => "1Gi" };
        var provisioner = new Option<string>("--provisioner") { Description = "The ACME provisioner's name: the issuer's server is .../acme/{provisioner}/directory.", DefaultValueFactory = _ => AcmeProvisionerOptions.DefaultName, HelpName = "NAME" };
        var issuer = new Option<string>("--issuer") { Description = "The name of the ClusterIssuer backed by step-ca.", DefaultValueFactory = _ => "step-ca-acme", HelpName = "NAME" };
        var ingressClass = new Option<string>("--ingress-class") { Description = "The IngressClass of the HTTP-01 solvers (k3s: traefik, ingress-nginx: nginx).", DefaultValueFactory = _ => KubeconfigClusterResource.DefaultIngressClassName, HelpName = "NAME" };
        var appIdentity = new Option<string>("--app-identity") { Description = "The app.kubernetes.io/part-of label on every object: which application they belong to (an AppHost's own objects carry its name).", DefaultValueFactory = _ => "localtls", HelpName = "NAME" };
        var ingressAddress = new Option<string?>("--ingress-address") { Description = "The address the cluster's ingress answers on; --host names embed it (app.192.168.5.2.sslip.io). Required with --host.", HelpName = "IP" };
        var hosts = new Option<string[]>("--host") { Description = "An sslip.io host name for the Certificate, given by its prefix: app makes app.{ingress address}.sslip.io (repeatable).", AllowMultipleArgumentsPerToken = true, HelpName = "PREFIX" };
        var dnsNames = new Option<string[]>("--dns-name") { Description = "Another DNS name for the Certificate, e.g. api.test (repeatable).", AllowMultipleArgumentsPerToken = true, HelpName = "NAME" };
        var certificate = new Option<string?>("--certificate") { Description = "The Certificate's name. Default: the first name's first label and -tls (app-tls for --host app). Without --host and --dns-name no Certificate is written.", HelpName = "NAME" };
        var certificateNamespace = new Option<string?>("--certificate-namespace") { Description = $"The namespace of the Certificate and its Secret. Default: {CertificateResource.DefaultNamespace}.", HelpName = "NAME" };
        var secretName = new Option<string?>("--secret-name") { Description = "The Secret that receives the key pair. Default: {certificate}-secret.", HelpName = "NAME" };
        var duration = new Option<string?>("--duration") { Description = "The certificate lifetime to ask for, as Go writes durations: 2160h (90 days), 24h, 1h30m; at least 1h. Default: the issuer's (step-ca: 24h).", HelpName = "DURATION" };
        var email = new Option<string?>("--letsencrypt-email") { Description = "Adds the Let's Encrypt ClusterIssuer the Certificate uses in production, with this ACME account e-mail. Required for production.", HelpName = "EMAIL" };
        var staging = new Option<bool>("--letsencrypt-staging") { Description = "Use Let's Encrypt's staging directory (untrusted certificates, generous rate limits)." };

        var command = new Command(
            "manifests",
            "Write the Kubernetes objects the AppHost's publish step writes, without an AppHost: step-ca (Namespace, ConfigMaps, the intermediate key in a Secret, PVC, Service, Deployment), " +
            "its cert-manager ClusterIssuer, a Certificate for sslip.io names, and the same step-ca as step-certificates Helm chart values. The root key is never written.")
        {
            output, environment, caroot, ns, service, port, image, tag, storageClass, size, provisioner, issuer, ingressClass, appIdentity, ingressAddress,
            hosts, dnsNames, certificate, certificateNamespace, secretName, duration, email, staging,
        };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            var production = parse.GetValue(environment) == "production";
            var outDir = Path.GetFullPath(RequireText(parse.GetValue(output), output.Name, "a folder, e.g. ./manifests"));

            // The options build the model through the AppHost's own builder extensions, so every value is checked by the same
            // code, with the same messages; nothing is written or created (the CA store included) before all checks pass.
            // The builder is never built or run: only its resources are rendered.
            var app = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = AppBuilderArgs, DisableDashboard = true });
            var cluster = app.AddKubeconfigCluster("k3s");
            Apply(() => cluster.WithIngressClass(parse.GetValue(ingressClass)!), ingressClass);
            Apply(() => cluster.WithAppIdentity(parse.GetValue(appIdentity)!), appIdentity);
            if (parse.GetValue(ingressAddress) is { } address)
            {
                Apply(() => cluster.WithIngressAddress(address), ingressAddress);
            }

            var ca = app.AddStepCa("step-ca");
            Apply(() => ca.WithNamespace(parse.GetValue(ns)!), ns);
            Apply(() => ca.WithService(parse.GetValue(service)!, parse.GetValue(port)), service, ("port", port));
            Apply(() => ca.WithImage(parse.GetValue(image)!, parse.GetValue(tag)!), image, ("tag", tag));
            Apply(() => ca.WithPersistence(parse.GetValue(size)!, parse.GetValue(storageClass)), size, ("storageClassName", storageClass));
            if (parse.GetValue(caroot) is { Length: > 0 } root)
            {
                Apply(() => ca.WithCaStore(root), caroot);
            }

            Apply(() => ca.WithAcmeProvisioner(parse.GetValue(provisioner)!), provisioner);
            ca.InCluster(cluster);
            var local = Apply(() => app.AddCertManagerIssuer(parse.GetValue(issuer)!, ca), issuer);

            IResourceBuilder<AcmeIssuerResource>? letsEncrypt = null;
            if (parse.GetValue(email) is { } accountEmail)
            {
                var isStaging = parse.GetValue(staging);
                letsEncrypt = Apply(() => app.AddLetsEncryptIssuer(isStaging ? "letsencrypt-staging" : "letsencrypt-prod", accountEmail, isStaging), email);
            }
            else if (production)
            {
                throw new ArgumentException("--environment production issues from Let's Encrypt, which needs an ACME account e-mail: add --letsencrypt-email, e.g. --letsencrypt-email admin@example.com.");
            }
            else if (parse.GetValue(staging))
            {
                throw new ArgumentException("--letsencrypt-staging chooses the directory of the Let's Encrypt issuer, which only --letsencrypt-email adds: add --letsencrypt-email admin@example.com, or leave --letsencrypt-staging out.");
            }

            var hostnames = (parse.GetValue(hosts) ?? []).Select((prefix, i) => Apply(() => cluster.AddSslipHostname($"host{i + 1}", prefix), hosts)).ToList();
            // Checked (and lower-cased) by the builder's own WithDnsNames before the default Certificate name is taken from them;
            // this certificate is never added to the model.
            var extraNames = Apply(() => app.CreateResourceBuilder(new CertificateResource("names")).WithDnsNames(parse.GetValue(dnsNames) ?? []), dnsNames).Resource.DnsNames;
            if (hostnames.Count > 0 && cluster.Resource.IngressAddress is null)
            {
                throw new ArgumentException($"--host needs --ingress-address: the names embed the address the cluster's ingress answers on ({hostnames[0].Resource.Prefix}.192.168.5.2.sslip.io for --ingress-address 192.168.5.2; 'kubectl get svc -n kube-system traefik' shows it).");
            }

            IResourceBuilder<CertificateResource>? cert = null;
            if (hostnames.Count + extraNames.Count > 0)
            {
                var given = parse.GetValue(certificate);
                var certificateName = given ?? DefaultCertificateName(hostnames.Select(h => h.Resource.Prefix), extraNames);
                try
                {
                    cert = Apply(() => app.AddCertificate(certificateName, [.. hostnames]), certificate);
                }
                catch (ArgumentException e) when (given is null)
                {
                    throw new ArgumentException($"{e.Message} '{certificateName}' is the default, made from the first name: name the Certificate with --certificate NAME, e.g. --certificate app-tls.", e);
                }

                // The issuer first: WithDnsNames then refuses a wildcard the cluster issuer could never validate.
                cert = letsEncrypt is null ? cert.WithIssuer(local) : cert.WithIssuer(local, letsEncrypt);
                Apply(() => cert.WithDnsNames([.. extraNames]), dnsNames);
                if (parse.GetValue(certificateNamespace) is { } certNamespace)
                {
                    Apply(() => cert.WithNamespace(certNamespace), certificateNamespace);
                }

                if (parse.GetValue(secretName) is { } secret)
                {
                    Apply(() => cert.WithSecretName(secret), secretName);
                }

                if (parse.GetValue(duration) is { } text)
                {
                    var requested = StepCaConfig.TryParseDuration(text, out var d)
                        ? d
                        : throw new ArgumentException($"{duration.Name}: '{text}' is not a duration: write it as Go does, e.g. 2160h (90 days), 24h or 1h30m.");
                    Apply(() => cert.WithDuration(requested), duration);

                }
            }
            else
            {
                foreach (var option in new Option[] { certificate, certificateNamespace, secretName, duration })
                {
                    if (parse.GetResult(option) is { Implicit: false })
                    {
                        throw new ArgumentException($"{option.Name} is for the Certificate, which needs names: add --host PREFIX (with --ingress-address) or --dns-name NAME.");
                    }
                }
            }

            CaMaterial? material = null;
            if (!production)
            {
                var store = new CaStore(ca.Resource.CaStoreDirectory);
                var existed = store.Exists;
                material = StepCaMaterial.Load(ca.Resource);
                if (!existed)
                {
                    stdout.WriteLine($"Created a new CA in {store.Directory} (as 'localtls ca init' does).");
                }

                RequirePermitted(material, cert?.Resource);
            }

            ClusterManifestSet set;
            try
            {
                set = ClusterManifests.Render(app.Resources, production, _ => material ?? throw new InvalidOperationException("Production renders no step-ca."));
            }
            catch (Exception e) when (e is StepCaException or InvalidOperationException)
            {
                // The options describe a model that cannot be rendered (e.g. a wildcard for an HTTP-01 issuer): bad input.
                throw new ArgumentException(e.Message, e);
            }

            var manifestsPath = Path.Combine(outDir, ManifestsFile);
            var valuesPath = Path.Combine(outDir, ValuesFile);
            var files = new List<FileToWrite> { new(manifestsPath, ManifestYaml.Write(set.Objects), Secret: set.ContainsSecrets) };
            files.AddRange(set.HelmValues.Values.Select(values => new FileToWrite(valuesPath, ManifestYaml.WriteValues(values), Secret: true)));
            AtomicFiles.WriteAll(files, $"the manifests in {outDir}");

            WriteSummary(stdout, set, production, manifestsPath, files.Count > 1 ? valuesPath : null, ca.Resource, material);
            if (set.ContainsSecrets)
            {
                stderr.WriteLine($"warning: {manifestsPath} holds the intermediate CA key in a Secret, and {valuesPath} holds it too: keep them out of version control (they are written with mode 0600).");
            }
            else if (File.Exists(valuesPath))
            {
                stderr.WriteLine($"warning: {valuesPath} is left from an earlier local run and holds the intermediate CA key; production has no step-ca, so delete it unless you still need it.");
            }

            if (production && cluster.Resource.IngressAddress is { } ingress && cert?.Resource is { Hostnames.Count: > 0 } named && NonPublic.Permits(ingress.ToString()))
            {
                stderr.WriteLine($"warning: {ingress} is not a public address, so Let's Encrypt cannot reach {named.Hostnames[0].Hostname} for the HTTP-01 challenge; production needs --ingress-address with the cluster's public address.");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// Runs a builder call, naming the option a bad value came from in its message: <paramref name="option"/>, or the one
    /// given for the parameter the builder names (<c>WithService(name, port)</c> checks two options).
    /// </summary>
    private static T Apply<T>(Func<T> call, Option option, params (string Parameter, Option Option)[] byParameter)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e)
        {
            var named = byParameter.FirstOrDefault(p => p.Parameter == e.ParamName).Option ?? option;
            throw new ArgumentException($"{named.Name}: {WithoutParameterName(e)}", e);
        }
        catch (DistributedApplicationException e)
        {
            // Two resources with one name: the app model refuses the second, as in an AppHost.
            throw new ArgumentException($"{e.Message} Give --issuer and --certificate names of their own: besides them the model holds the cluster 'k3s', the CA 'step-ca', the host names 'host1', 'host2'... and 'letsencrypt-prod' or 'letsencrypt-staging'.", e);
        }
    }

    /// <summary>The message as the builder wrote it, without " (Parameter 'port')": the option already says where it came from.</summary>
    private static string WithoutParameterName(ArgumentException e)
    {
        var suffix = e.ParamName is null ? "" : new ArgumentException("", e.ParamName).Message;
        return suffix.Length > 0 && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }

    private static string DefaultCertificateName(IEnumerable<string> prefixes, IEnumerable<string> dnsNames)
    {
        var label = prefixes.Concat(dnsNames.Select(n => n.StartsWith("*.", StringComparison.Ordinal) ? n[2..] : n))
            .Select(n => n.Split('.')[0])
            .FirstOrDefault(l => l.Length > 0);
        return $"{label ?? "app"}-tls";
    }

    /// <summary>A certificate the root's name constraints do not permit would be issued, then rejected by every client.</summary>
    private static void RequirePermitted(CaMaterial material, CertificateResource? certificate)
    {
        if (certificate is null)
        {
            return;
        }

        var names = certificate.Hostnames.Select(h => h.Hostname!).Concat(certificate.DnsNames);
        var forbidden = names.Where(n => !material.Permits(n.StartsWith("*.", StringComparison.Ordinal) ? n[2..] : n)).ToList();
        if (forbidden.Count > 0)
        {
            throw new ArgumentException(
                $"{string.Join(", ", forbidden.Select(n => $"'{n}'"))} {(forbidden.Count == 1 ? "is" : "are")} outside the root's name constraints, so clients would reject the certificate. " +
                $"Permitted: {material.NameConstraints}. Use names under those (e.g. --host with an sslip.io address, or --dns-name api.test), " +
                "or make a CA that permits them: localtls ca init --force --permit-dns DOMAIN (clients must then trust the new root).");
        }
    }

    private static string RequireText(string? value, string option, string example) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{option} is empty: give {example}.") : value.Trim();

    private static void WriteSummary(TextWriter stdout, ClusterManifestSet set, bool production, string manifestsPath, string? valuesPath, StepCaResource ca, CaMaterial? material)
    {
        stdout.WriteLine($"Wrote {set.Objects.Count} Kubernetes objects for the {(production ? "production" : "local")} environment to {manifestsPath}{(set.ContainsSecrets ? " (mode 0600)" : "")}:");
        var width = set.Objects.Max(o => o.Kind.Length) + 2;
        foreach (var obj in set.Objects)
        {
            var meta = ManifestYaml.ToJson(obj)["metadata"]!;
            stdout.WriteLine($"  {obj.Kind.PadRight(width)}{(meta["namespace"] is JsonNode n ? n.GetValue<string>() + "/" : "")}{meta["name"]}");
        }

        if (valuesPath is not null)
        {
            stdout.WriteLine($"Wrote the step-certificates Helm chart values to {valuesPath} (mode 0600): the same step-ca for 'helm install -f', instead of the step-ca objects above.");
        }

        if (production)
        {
            stdout.WriteLine("No step-ca for production: certificates come from Let's Encrypt.");
        }
        else
        {
            stdout.WriteLine();
            stdout.WriteLine($"ACME directory:   {StepCaConfig.AcmeDirectoryUrl(ca.ClusterUrl, ca.DefaultProvisionerName)}");
            stdout.WriteLine($"Root fingerprint: {material!.RootFingerprint}");
            stdout.WriteLine("The root key is not written: it stays in the CA store.");
        }

        stdout.WriteLine($"Apply with: kubectl apply -f {manifestsPath} (cert-manager must be installed first).");
    }
}
