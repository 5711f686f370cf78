; Inno Setup 6 script: installs the frozen one-folder build and registers softphone for
; tel:, sip: and callto: links.
;
; Build on Windows (see installer/README.md):
;   py -3.11 -m venv .venv && .venv\Scripts\pip install -e .[test]
;   .venv\Scripts\python resources\translations\update_translations.py --compile
;   .venv\Scripts\pyinstaller --noconfirm --distpath build\dist --workpath build\pyinstaller installer\softphone.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\softphone.iss
; Result: build\softphone-<version>-setup.exe
;
; Per-user install by default (no admin rights: everything under HKCU); "install for all
; users" writes the same keys under HKLM (Inno's HKA root follows the choice).
;
; Windows 10/11 keep the user's choice of handler per protocol (UserChoice, protected), so an
; installer cannot silently take tel: over: softphone is registered as a *capable* handler
; (Capabilities\URLAssociations + RegisteredApplications) and the user picks it once in
; Settings > Apps > Default apps (the last page offers to open that page). sip: and callto:,
; which normally have no owner, also get the classic HKCR protocol keys so they work at once.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Softphone"
#define AppExe "softphone.exe"
#define ProgId "Softphone.Url"
#define SourceDir "..\..\build\dist\softphone"

[Setup]
AppId={{6D6B0F3E-6A5C-4C1B-9B8E-5F1D2C3A4B70}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=softphone developers
DefaultDirName={autopf}\Softphone
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build
OutputBaseFilename=softphone-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\softphone.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
CloseApplications=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "ru"; MessagesFile: "compiler:Languages\Russian.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start Softphone when I sign in"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon
; Startup folder shortcut (listed, and can be turned off, in Task Manager > Startup apps like
; a Run-key entry); --minimized starts it in the tray.
Name: "{userstartup}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "--minimized"; Tasks: autostart

[Registry]
; The ProgID every link type opens with: softphone.exe "tel:+7..." -> `softphone dial ...`.
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Softphone link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

; Capabilities: lists softphone in Default apps for tel, sip and callto.
Root: HKA; Subkey: "Software\Softphone"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Softphone\Capabilities"; ValueType: string; ValueName: "ApplicationName"; ValueData: "{#AppName}"
Root: HKA; Subkey: "Software\Softphone\Capabilities"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "SIP softphone with a built-in contact book"
Root: HKA; Subkey: "Software\Softphone\Capabilities"; ValueType: string; ValueName: "ApplicationIcon"; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "tel"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "sip"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "callto"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "Softphone"; ValueData: "Software\Softphone\Capabilities"; Flags: uninsdeletevalue

; Classic protocol keys for sip: and callto: when nobody owns them yet (never taken over).
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: ""; ValueData: "URL:SIP Protocol"; Flags: uninsdeletekey; Check: ProtocolIsFree('sip')
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: ProtocolIsFree('sip')
Root: HKA; Subkey: "Software\Classes\sip\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: ProtocolIsFree('sip')
Root: HKA; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: ProtocolIsFree('sip')
Root: HKA; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: ""; ValueData: "URL:Callto Protocol"; Flags: uninsdeletekey; Check: ProtocolIsFree('callto')
Root: HKA; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: ProtocolIsFree('callto')
Root: HKA; Subkey: "Software\Classes\callto\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: ProtocolIsFree('callto')
Root: HKA; Subkey: "Software\Classes\callto\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: ProtocolIsFree('callto')

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "selftest"; Flags: runhidden waituntilterminated; StatusMsg: "Checking SIP, the database and sound devices..."
Filename: "ms-settings:defaultapps"; Description: "Choose Softphone for tel: links in Default apps"; Flags: postinstall shellexec skipifsilent unchecked
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: postinstall nowait skipifsilent

[Code]
// True when no other program registered this protocol (or softphone did, on an upgrade).
function ProtocolIsFree(Protocol: String): Boolean;
var
  Command: String;
begin
  Result := True;
  if RegQueryStringValue(HKA, 'Software\Classes\' + Protocol + '\shell\open\command', '', Command) or
     RegQueryStringValue(HKCR, Protocol + '\shell\open\command', '', Command) then
    Result := Pos(LowerCase('{#AppExe}'), LowerCase(Command)) > 0;
end;
